{{- define "schoolcloud.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "schoolcloud.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else if contains (include "schoolcloud.name" .) .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name (include "schoolcloud.name" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "schoolcloud.selectorLabels" -}}
app.kubernetes.io/name: {{ include "schoolcloud.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The web pods only: the migration Job's pods must not match the Service or the Deployment. */}}
{{- define "schoolcloud.webSelectorLabels" -}}
{{ include "schoolcloud.selectorLabels" . }}
app.kubernetes.io/component: web
{{- end }}

{{- define "schoolcloud.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "schoolcloud.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "schoolcloud.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "schoolcloud.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "schoolcloud.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{/* Non-secret settings: the ConfigMap's data, and the hook Jobs' env. */}}
{{- define "schoolcloud.configData" -}}
{{- $v := .Values -}}
SCHOOLCLOUD_BASE_URL: {{ $v.baseUrl | toJson }}
{{- /* The container must listen on all interfaces; the Service reaches it on 8000. */}}
SCHOOLCLOUD_HOST: "0.0.0.0"
SCHOOLCLOUD_PORT: "8000"
{{- /* Scratch only (emptyDir): with PostgreSQL and S3 nothing durable lands here, but
`schoolcloud migrate` creates the folder, which the read-only root filesystem would refuse. */}}
SCHOOLCLOUD_VAR_DIR: /tmp/schoolcloud
SCHOOLCLOUD_STORAGE: s3
SCHOOLCLOUD_S3_ENDPOINT: {{ $v.s3.endpoint | toJson }}
SCHOOLCLOUD_S3_BUCKET: {{ $v.s3.bucket | toJson }}
SCHOOLCLOUD_S3_REGION: {{ $v.s3.region | toJson }}
SCHOOLCLOUD_S3_SECURE: {{ $v.s3.secure | toString | toJson }}
SCHOOLCLOUD_OIDC_ISSUER: {{ $v.oidc.issuer | toJson }}
SCHOOLCLOUD_OIDC_CLIENT_ID: {{ $v.oidc.clientId | toJson }}
{{- /* Empty means the app's own default, so leave the variable out. */}}
{{- range $name, $value := dict "OIDC_SCOPES" $v.oidc.scopes "OIDC_ROLE_CLAIM" $v.oidc.roleClaim "OIDC_ROLE_MAP" $v.oidc.roleMap "OIDC_SCHOOL_CLAIM" $v.oidc.schoolClaim "OIDC_CLASSES_CLAIM" $v.oidc.classesClaim "OIDC_USERNAME_CLAIM" $v.oidc.usernameClaim "BOOTSTRAP_SCHOOL" $v.bootstrapSchool "TRUSTED_PROXIES" $v.trustedProxies "REDIS_PREFIX" $v.redis.prefix "PROCESSOR_NAME" $v.processor.name "PROCESSOR_ADDRESS" $v.processor.address "PROCESSOR_CONTACT" $v.processor.contact "PROCESSOR_DPO" $v.processor.dpo }}
{{- if $value }}
SCHOOLCLOUD_{{ $name }}: {{ $value | toJson }}
{{- end }}
{{- end }}
{{- /* int64: YAML numbers arrive as floats and would print as 1.048576e+06. */}}
SCHOOLCLOUD_SESSION_IDLE_MINUTES: {{ $v.session.idleMinutes | int64 | toString | toJson }}
SCHOOLCLOUD_SESSION_MAX_HOURS: {{ $v.session.maxHours | int64 | toString | toJson }}
SCHOOLCLOUD_MAX_FORM_BYTES: {{ $v.maxFormBytes | int64 | toString | toJson }}
SCHOOLCLOUD_MAX_IMPORT_BYTES: {{ $v.maxImportBytes | int64 | toString | toJson }}
SCHOOLCLOUD_LOG_LEVEL: {{ $v.logLevel | toJson }}
SCHOOLCLOUD_DEFAULT_LOCALE: {{ $v.defaultLocale | toJson }}
{{- end }}

{{/*
Secret settings, one entry each: env name, plain value, existing Secret and its key.
An existing Secret wins; a plain value goes to the chart's Secret; neither leaves the variable out,
except for the database: empty would mean SQLite inside a pod (lost on restart), so the app gets
a URL it rejects at start, naming what to set.
*/}}
{{- define "schoolcloud.secretItems" -}}
{{- $v := .Values -}}
- {env: SCHOOLCLOUD_DATABASE_URL, value: {{ $v.database.url | toJson }}, secret: {{ $v.database.existingSecret | toJson }}, key: {{ $v.database.existingSecretKey | toJson }}, unset: "unset://set database.url or database.existingSecret"}
- {env: SCHOOLCLOUD_SECRET_KEY, value: {{ $v.secretKey.value | toJson }}, secret: {{ $v.secretKey.existingSecret | toJson }}, key: {{ $v.secretKey.existingSecretKey | toJson }}}
- {env: SCHOOLCLOUD_S3_ACCESS_KEY, value: {{ $v.s3.accessKey | toJson }}, secret: {{ $v.s3.existingSecret | toJson }}, key: {{ $v.s3.existingSecretKeys.accessKey | toJson }}}
- {env: SCHOOLCLOUD_S3_SECRET_KEY, value: {{ $v.s3.secretKey | toJson }}, secret: {{ $v.s3.existingSecret | toJson }}, key: {{ $v.s3.existingSecretKeys.secretKey | toJson }}}
- {env: SCHOOLCLOUD_OIDC_CLIENT_SECRET, value: {{ $v.oidc.clientSecret | toJson }}, secret: {{ $v.oidc.existingSecret | toJson }}, key: {{ $v.oidc.existingSecretKey | toJson }}}
- {env: SCHOOLCLOUD_REDIS_URL, value: {{ $v.redis.url | toJson }}, secret: {{ $v.redis.existingSecret | toJson }}, key: {{ $v.redis.existingSecretKey | toJson }}}
- {env: SCHOOLCLOUD_ENCRYPTION_KEY, value: {{ $v.encryption.key | toJson }}, secret: {{ $v.encryption.existingSecret | toJson }}, key: {{ $v.encryption.existingSecretKey | toJson }}}
{{- end }}

{{/* stringData of the chart's Secret: the plain values not covered by an existing Secret. */}}
{{- define "schoolcloud.secretData" -}}
{{- range include "schoolcloud.secretItems" . | fromYamlArray }}
{{- if and .value (not .secret) }}
{{ .env }}: {{ .value | toJson }}
{{- end }}
{{- end }}
{{- end }}

{{/* env entries for the secret settings; call with (dict "root" $ "secretName" NAME-OF-CHART-SECRET). */}}
{{- define "schoolcloud.secretEnv" -}}
{{- $secretName := .secretName }}
{{- range include "schoolcloud.secretItems" .root | fromYamlArray }}
{{- if or .secret .value }}
- name: {{ .env }}
  valueFrom:
    secretKeyRef:
      name: {{ .secret | default $secretName }}
      key: {{ ternary .key .env (ne .secret "") }}
{{- else if get . "unset" }}
- name: {{ .env }}
  value: {{ get . "unset" | toJson }}
{{- end }}
{{- end }}
{{- end }}

{{/* The app container's settings shared by the Deployment and the migration Job. */}}
{{- define "schoolcloud.containerBase" -}}
image: {{ include "schoolcloud.image" . | quote }}
imagePullPolicy: {{ .Values.image.pullPolicy }}
securityContext:
  {{- toYaml .Values.securityContext | nindent 2 }}
resources:
  {{- toYaml .Values.resources | nindent 2 }}
{{- end }}

{{/*
spec of a hook Job running one `schoolcloud` subcommand; call with
(dict "root" $ "component" NAME "command" SUBCOMMAND "secretName" SECRET-FOR-PLAIN-VALUES).
Settings are passed as plain env, not through the release's ConfigMap, which a pre-install hook
runs before. Likewise only a pre-existing ServiceAccount is named.
*/}}
{{- define "schoolcloud.jobSpec" -}}
{{- $root := .root }}
{{- with .root }}
template:
  metadata:
    labels:
      {{- include "schoolcloud.selectorLabels" . | nindent 6 }}
      app.kubernetes.io/component: {{ $.component }}
  spec:
    restartPolicy: Never
    {{- if not .Values.serviceAccount.create }}
    serviceAccountName: {{ include "schoolcloud.serviceAccountName" . }}
    {{- end }}
    automountServiceAccountToken: false
    {{- with .Values.imagePullSecrets }}
    imagePullSecrets:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    securityContext:
      {{- toYaml .Values.podSecurityContext | nindent 6 }}
    containers:
      - name: {{ $.component }}
        {{- include "schoolcloud.containerBase" . | nindent 8 }}
        command: ["schoolcloud", {{ $.command | quote }}]
        env:
          {{- range $key, $value := include "schoolcloud.configData" . | fromYaml }}
          - name: {{ $key }}
            value: {{ $value | toJson }}
          {{- end }}
          {{- with include "schoolcloud.secretEnv" (dict "root" $root "secretName" $.secretName) }}
          {{- trim . | nindent 10 }}
          {{- end }}
          {{- with .Values.extraEnv }}
          {{- toYaml . | nindent 10 }}
          {{- end }}
        volumeMounts:
          - name: tmp
            mountPath: /tmp
    volumes:
      - name: tmp
        emptyDir: {}
    {{- with .Values.nodeSelector }}
    nodeSelector:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    {{- with .Values.affinity }}
    affinity:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    {{- with .Values.tolerations }}
    tolerations:
      {{- toYaml . | nindent 6 }}
    {{- end }}
{{- end }}
{{- end }}

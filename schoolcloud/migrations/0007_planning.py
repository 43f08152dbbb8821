from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0006_courses')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Carrier',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=200)),
                ('state', fields.CharField(description='Land code, e.g. NI, NW, BY', max_length=2)),
                ('budget', fields.DecimalField(null=True, max_digits=14, decimal_places=2)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'plan_carrier', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A Schulträger (municipality or county) with its schools and its users.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CarrierMember',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('carrier', fields.ForeignKeyField('models.Carrier', source_field='carrier_id', db_constraint=True, to_field='id', related_name='members', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='carrier_memberships', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'plan_carrier_member', 'app': 'models', 'unique_together': (('carrier', 'user'),), 'pk_attr': 'id', 'table_description': "A user who acts for a carrier: sees its schools' plans, returns or approves them."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CarrierSchool',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('carrier', fields.ForeignKeyField('models.Carrier', source_field='carrier_id', db_constraint=True, to_field='id', related_name='school_links', on_delete=OnDelete.CASCADE)),
                ('school', fields.OneToOneField('models.School', source_field='school_id', db_constraint=True, to_field='id', related_name='carrier_link', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'plan_carrier_school', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A school belongs to at most one carrier.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PlanDocument',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('school', fields.ForeignKeyField('models.School', source_field='school_id', db_constraint=True, to_field='id', related_name='plans', on_delete=OnDelete.CASCADE)),
                ('title', fields.CharField(max_length=200)),
                ('programme', fields.CharField(description='rule pack id of plans.rules, e.g. dp1-ni', max_length=64)),
                ('status', fields.CharField(default='draft', max_length=16)),
                ('content', fields.TextField(description="the plan as JSON (plans' serialiser)", unique=False)),
                ('revision', fields.IntField(default=1)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='created_plans', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'plan_document', 'app': 'models', 'indexes': [Index(fields=['school_id', 'status'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PlanEditor',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('plan', fields.ForeignKeyField('models.PlanDocument', source_field='plan_id', db_constraint=True, to_field='id', related_name='editors', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='plan_invitations', on_delete=OnDelete.CASCADE)),
                ('invited_by', fields.ForeignKeyField('models.User', source_field='invited_by_id', null=True, db_constraint=True, to_field='id', related_name='plan_invitations_sent', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'plan_editor', 'app': 'models', 'unique_together': (('plan', 'user'),), 'pk_attr': 'id', 'table_description': 'A teacher invited by a school administrator to edit one plan.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PlanRevision',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('plan', fields.ForeignKeyField('models.PlanDocument', source_field='plan_id', db_constraint=True, to_field='id', related_name='revisions', on_delete=OnDelete.CASCADE)),
                ('number', fields.IntField()),
                ('author', fields.ForeignKeyField('models.User', source_field='author_id', null=True, db_constraint=True, to_field='id', related_name='plan_revisions', on_delete=OnDelete.SET_NULL)),
                ('title', fields.CharField(max_length=200)),
                ('content', fields.TextField(unique=False)),
                ('note', fields.CharField(default='save', description='save, create, import', max_length=32)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'plan_revision', 'app': 'models', 'unique_together': (('plan', 'number'),), 'pk_attr': 'id', 'table_description': 'The full plan as it was after one save (revision 1 is the plan as created or imported).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PlanStatusChange',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('plan', fields.ForeignKeyField('models.PlanDocument', source_field='plan_id', db_constraint=True, to_field='id', related_name='status_changes', on_delete=OnDelete.CASCADE)),
                ('from_status', fields.CharField(max_length=16)),
                ('to_status', fields.CharField(max_length=16)),
                ('actor', fields.ForeignKeyField('models.User', source_field='actor_id', null=True, db_constraint=True, to_field='id', related_name='plan_status_changes', on_delete=OnDelete.SET_NULL)),
                ('comment', fields.TextField(default='', unique=False)),
                ('revision', fields.IntField(description='the plan revision the step was taken on')),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'plan_status_change', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One step of the status flow, with the comment the carrier or school gave (also in the audit).'},
            bases=['Model'],
        ),
    ]

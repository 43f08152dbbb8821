"""The media development plan editor (Medienkonzept / Medienentwicklungsplan) over the pure ``plans``
package: stored plans with their revisions, who may edit them, the status flow towards the school
carrier (Schulträger), and the carrier's view across its schools. See ``README.md`` here."""

"""The first schema: teams, tokens, datasets, versions, jobs."""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table("teams", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("name", sa.String(64), nullable=False, unique=True),
                    sa.Column("created_at", TS, nullable=False))
    op.create_table("tokens", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("team_id", sa.Integer, sa.ForeignKey("teams.id"), nullable=False),
                    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
                    sa.Column("prefix", sa.String(16), nullable=False),
                    sa.Column("created_at", TS, nullable=False), sa.Column("revoked_at", TS, nullable=True))
    op.create_table("datasets", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("team_id", sa.Integer, sa.ForeignKey("teams.id"), nullable=False),
                    sa.Column("name", sa.String(128), nullable=False),
                    sa.Column("created_at", TS, nullable=False),
                    sa.UniqueConstraint("team_id", "name"))
    op.create_table("versions", sa.Column("pk", sa.Integer, primary_key=True),
                    sa.Column("dataset_id", sa.Integer, sa.ForeignKey("datasets.id"), nullable=False),
                    sa.Column("team_id", sa.Integer, sa.ForeignKey("teams.id"), nullable=False),
                    sa.Column("sha256", sa.String(64), nullable=False, index=True),
                    sa.Column("filename", sa.String(255), nullable=False),
                    sa.Column("size", sa.Integer, nullable=False),
                    sa.Column("summary", sa.JSON, nullable=False),
                    sa.Column("lineage", sa.JSON, nullable=True),
                    sa.Column("created_at", TS, nullable=False),
                    sa.UniqueConstraint("dataset_id", "sha256"))
    op.create_table("jobs", sa.Column("id", sa.String(32), primary_key=True),
                    sa.Column("team_id", sa.Integer, sa.ForeignKey("teams.id"), nullable=False, index=True),
                    sa.Column("kind", sa.String(16), nullable=False),
                    sa.Column("state", sa.String(16), nullable=False, index=True),
                    sa.Column("inputs", sa.JSON, nullable=False), sa.Column("params", sa.JSON, nullable=False),
                    sa.Column("override", sa.JSON, nullable=True), sa.Column("result", sa.JSON, nullable=True),
                    sa.Column("error", sa.Text, nullable=True), sa.Column("progress", sa.JSON, nullable=True),
                    sa.Column("cancel_requested", sa.Boolean, nullable=False),
                    sa.Column("attempts", sa.Integer, nullable=False),
                    sa.Column("worker", sa.String(64), nullable=True),
                    sa.Column("created_at", TS, nullable=False), sa.Column("started_at", TS, nullable=True),
                    sa.Column("finished_at", TS, nullable=True), sa.Column("heartbeat_at", TS, nullable=True),
                    sa.Column("seconds", sa.Float, nullable=True))


def downgrade() -> None:
    for table in ("jobs", "versions", "datasets", "tokens", "teams"):
        op.drop_table(table)

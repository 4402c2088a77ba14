"""conversions: a job's kind and source, a song's source song and name

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 17:00:00

Plain ADD COLUMN on both dialects, no table rebuilt: rebuilding `jobs` (Alembic's batch mode)
with SQLite's foreign keys on would fire ON DELETE SET NULL on every songs.job_id. SQLite
takes the foreign key inline on the added column (nullable, no default); Alembic cannot
emit that there, so SQLite gets the one statement written out.
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def _add_source_fk(table: str) -> None:
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(f'ALTER TABLE {table} ADD COLUMN source_song_id INTEGER '
                   f'CONSTRAINT fk_{table}_source_song_id REFERENCES songs (id) ON DELETE SET NULL')
        return
    op.add_column(table, sa.Column('source_song_id', sa.Integer(), nullable=True))
    op.create_foreign_key(f'fk_{table}_source_song_id', table, 'songs', ['source_song_id'], ['id'],
                          ondelete='SET NULL')


def upgrade() -> None:
    op.add_column('jobs', sa.Column('kind', sa.String(length=16), nullable=False, server_default='generate'))
    _add_source_fk('jobs')
    op.add_column('jobs', sa.Column('source_name', sa.String(length=120), nullable=True))
    _add_source_fk('songs')
    op.add_column('songs', sa.Column('source_name', sa.String(length=120), nullable=True))
    op.create_index('ix_songs_source_song_id', 'songs', ['source_song_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_songs_source_song_id', table_name='songs')
    with op.batch_alter_table('songs') as batch_op:
        batch_op.drop_column('source_name')
        batch_op.drop_column('source_song_id')
    with op.batch_alter_table('jobs') as batch_op:
        batch_op.drop_column('source_name')
        batch_op.drop_column('source_song_id')
        batch_op.drop_column('kind')

"""versions: a song's parent (the song it was edited from) and its version number

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 18:20:00

A regenerated or extended song is a new row that names the song it was made from
(ON DELETE SET NULL: deleting an old version keeps the newer ones). Plain ADD COLUMN on both
dialects, as in 0002: SQLite takes the foreign key inline, written out.
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE songs ADD COLUMN parent_id INTEGER '
                   'CONSTRAINT fk_songs_parent_id REFERENCES songs (id) ON DELETE SET NULL')
    else:
        op.add_column('songs', sa.Column('parent_id', sa.Integer(), nullable=True))
        op.create_foreign_key('fk_songs_parent_id', 'songs', 'songs', ['parent_id'], ['id'], ondelete='SET NULL')
    op.add_column('songs', sa.Column('version', sa.Integer(), nullable=False, server_default='1'))
    op.create_index('ix_songs_parent_id', 'songs', ['parent_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_songs_parent_id', table_name='songs')
    with op.batch_alter_table('songs') as batch_op:
        batch_op.drop_column('version')
        batch_op.drop_column('parent_id')

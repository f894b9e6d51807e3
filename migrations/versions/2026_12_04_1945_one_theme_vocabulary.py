"""one theme vocabulary: uncoded themes (UPR Info issues) become links to their UHRI codes
through the shipped crosswalk, keeping the source's name as the link's label; UPR Info's
action category on recommendations; unknown theme names in import reports

Revision ID: 9b3f6c2a1d58
Revises: 8d4f6b1a2c93
Create Date: 2026-12-04 19:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "9b3f6c2a1d58"
down_revision: str | None = "8d4f6b1a2c93"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

themes = sa.table(
    "themes",
    sa.column("id", sa.Integer),
    sa.column("code", sa.String),
    sa.column("name", sa.String),
    sa.column("key", sa.String),
)
links = sa.table(
    "recommendation_themes",
    sa.column("recommendation_id", sa.Uuid),
    sa.column("theme_id", sa.Integer),
    sa.column("label", sa.String),
)


def upgrade() -> None:
    op.add_column("recommendations", sa.Column("action_category", sa.SmallInteger(), nullable=True))
    op.add_column("recommendation_themes", sa.Column("label", sa.String(300), nullable=True))
    op.add_column(
        "recommendation_imports",
        sa.Column(
            "unknown_themes",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            nullable=False,
            server_default=sa.text("'[]'"),
        ),
    )
    convert_uncoded_themes(op.get_bind())


def convert_uncoded_themes(bind: sa.Connection) -> None:
    """Every uncoded theme the shipped crosswalk (or a UHRI name) knows is replaced by links to
    its codes' themes, labelled with its name. Names known nowhere stay uncoded."""
    # The shipped reference as it is when the migration runs: the crosswalk only grows.
    from app.taxonomies.models import term_key
    from app.taxonomies.service import reference_codes, theme_reference

    names = theme_reference().names
    rows = bind.execute(sa.select(themes.c.id, themes.c.code, themes.c.name, themes.c.key)).all()
    by_code = {code: tid for tid, code, _, _ in rows if code}
    uncoded = {tid: (name, key) for tid, code, name, key in rows if not code}
    by_key = {key: tid for tid, (_, key) in uncoded.items()}
    plan = {tid: reference_codes(name) for tid, (name, _) in uncoded.items()}
    plan = {tid: codes for tid, codes in plan.items() if codes}
    for code in sorted({code for codes in plan.values() for code in codes} - by_code.keys()):
        name = names[code]
        same_name = by_key.get(term_key(name))
        if same_name is not None:  # an uncoded "Death penalty" becomes D23 itself
            bind.execute(
                themes.update().where(themes.c.id == same_name).values(code=code, name=name)
            )
            bind.execute(
                links.update()
                .where(links.c.theme_id == same_name)
                .values(label=uncoded[same_name][0])
            )
            by_code[code] = same_name
            plan.pop(same_name, None)
            continue
        by_code[code] = bind.execute(
            themes.insert().values(code=code, name=name, key=term_key(name)).returning(themes.c.id)
        ).scalar_one()
    for tid, codes in plan.items():
        label = uncoded[tid][0]
        recommendations = (
            bind.execute(sa.select(links.c.recommendation_id).where(links.c.theme_id == tid))
            .scalars()
            .all()
        )
        for code in codes:
            target = by_code[code]
            if target == tid:
                continue
            already = set(
                bind.execute(
                    sa.select(links.c.recommendation_id).where(links.c.theme_id == target)
                ).scalars()
            )
            fresh = [rid for rid in recommendations if rid not in already]
            if fresh:
                bind.execute(
                    links.insert(),
                    [
                        {"recommendation_id": rid, "theme_id": target, "label": label}
                        for rid in fresh
                    ],
                )
        if tid not in by_code.values():
            bind.execute(links.delete().where(links.c.theme_id == tid))
            bind.execute(themes.delete().where(themes.c.id == tid))


def downgrade() -> None:
    """Drops the new columns; themes stay coded (the crosswalk's links are kept)."""
    op.drop_column("recommendation_imports", "unknown_themes")
    op.drop_column("recommendation_themes", "label")
    op.drop_column("recommendations", "action_category")

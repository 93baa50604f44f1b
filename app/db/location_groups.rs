//! Location groups of a tenant (read side; the stock issue adds editing).

use sea_orm::{ColumnTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::entities::location_group;
use super::tenancy::TenantTxn;

pub async fn list(tx: &TenantTxn) -> Result<Vec<location_group::Model>, DbErr> {
    location_group::Entity::find()
        .order_by_asc(location_group::Column::Name)
        .all(tx)
        .await
}

/// Whether every id names a group of this tenant.
pub async fn all_exist(tx: &TenantTxn, ids: &[Uuid]) -> Result<bool, DbErr> {
    if ids.is_empty() {
        return Ok(true);
    }
    let found = location_group::Entity::find()
        .filter(location_group::Column::Id.is_in(ids.iter().copied()))
        .count(tx)
        .await?;
    Ok(found == ids.len() as u64)
}

/// `roots` and every group below them (a region's stores), from the tenant's `groups`.
pub fn with_groups_below(
    groups: &[location_group::Model],
    roots: impl IntoIterator<Item = Uuid>,
) -> std::collections::HashSet<Uuid> {
    let mut found: std::collections::HashSet<Uuid> = roots.into_iter().collect();
    loop {
        let before = found.len();
        for g in groups {
            if g.parent_id.is_some_and(|p| found.contains(&p)) {
                found.insert(g.id);
            }
        }
        if found.len() == before {
            return found;
        }
    }
}

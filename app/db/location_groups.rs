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

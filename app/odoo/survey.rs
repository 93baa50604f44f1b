//! The connection test (issue 4, item 3): what TrueStock may do in a tenant's Odoo and what others
//! still may do there without it. It reports the version, the user TrueStock connects as and its
//! companies, which of the models TrueStock reads are readable, which write-back rights the user has,
//! and which ordinary users hold Odoo rights that let them change stock or products around TrueStock's
//! governance, each as a sentence a retail admin can act on. Nothing is written to Odoo.
//!
//! Rights are asked the way each version offers over RPC: `check_access_rights(operation,
//! raise_exception=False)` on 16 and 17; `has_access(operation)` on the empty recordset from 18, where
//! `check_access_rights` is deprecated (odoo/odoo#179148) before its removal after 19.0
//! (odoo/odoo#226551). Group memberships are read through their external identifiers
//! (`ir.model.data` → `res.groups`): `users` up to 18, which holds implied memberships too, and
//! `all_user_ids` on 19, where `user_ids` holds only the explicit ones.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use futures_util::stream::{self, StreamExt, TryStreamExt};
use serde::Deserialize;
use serde_json::{Value, json};

use super::client::{Client, SearchOptions};
use super::domain::{Domain, Op};
use super::error::OdooError;
use super::records::{self, OdooModel};
use super::value;

/// Odoo's superuser (`__system__`, OdooBot): Odoo's own modules give it every administrator group,
/// but it is no person who could work around TrueStock.
const SUPERUSER_ID: i64 = 1;

/// Calls in flight at once: each holds one of the tenant's Odoo workers (ODOO-API §5).
const CONCURRENT_CALLS: usize = 3;

/// The models TrueStock reads (the adapters of [`records`]), in the order the report lists them.
pub const READ_MODELS: [&str; 20] = [
    records::ProductTemplate::MODEL,
    records::ProductProduct::MODEL,
    records::ProductCategory::MODEL,
    records::Uom::MODEL,
    records::Company::MODEL,
    records::User::MODEL,
    records::Partner::MODEL,
    records::Currency::MODEL,
    records::Warehouse::MODEL,
    records::Location::MODEL,
    records::PickingType::MODEL,
    records::Quant::MODEL,
    records::Move::MODEL,
    records::MoveLine::MODEL,
    records::Picking::MODEL,
    records::Scrap::MODEL,
    records::PurchaseOrder::MODEL,
    records::PurchaseOrderLine::MODEL,
    records::SupplierInfo::MODEL,
    records::Orderpoint::MODEL,
];

/// What a retail admin calls the records of a model.
fn plain_name(model: &str) -> &str {
    match model {
        "product.template" => "products",
        "product.product" => "product variants",
        "product.category" => "product categories",
        "uom.uom" => "units of measure",
        "res.company" => "companies",
        "res.users" => "users",
        "res.partner" => "contacts and vendors",
        "res.currency" => "currencies",
        "stock.warehouse" => "warehouses",
        "stock.location" => "stock locations",
        "stock.picking.type" => "operation types",
        "stock.quant" => "stock on hand",
        "stock.move" => "stock moves",
        "stock.move.line" => "detailed stock moves",
        "stock.picking" => "transfers",
        "stock.scrap" => "scraps (write-offs)",
        "purchase.order" => "purchase orders",
        "purchase.order.line" => "purchase order lines",
        "product.supplierinfo" => "vendor prices",
        "stock.warehouse.orderpoint" => "reordering rules",
        other => other,
    }
}

/// An operation of Odoo's model access rights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Operation {
    Create,
    Write,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Create => "create",
            Operation::Write => "write",
        }
    }
}

/// The Odoo groups the survey looks at.
const GROUP_INTERNAL_USER: &str = "base.group_user";
const GROUP_STOCK_USER: &str = "stock.group_stock_user";
const GROUP_STOCK_MANAGER: &str = "stock.group_stock_manager";
const GROUP_PURCHASE_MANAGER: &str = "purchase.group_purchase_manager";
const GROUP_SALES_MANAGER: &str = "sales_team.group_sale_manager";
const GROUPS: [&str; 5] = [
    GROUP_INTERNAL_USER,
    GROUP_STOCK_USER,
    GROUP_STOCK_MANAGER,
    GROUP_PURCHASE_MANAGER,
    GROUP_SALES_MANAGER,
];

/// A change TrueStock makes in Odoo once a decision is approved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WriteBack {
    /// Create products (`product.template`; Odoo creates the variant).
    CreateProducts,
    /// Change products and their variants.
    UpdateProducts,
    /// Create and validate scraps.
    WriteOffs,
    /// Enter counted quantities on quants (inventory mode).
    EnterCounts,
    /// Apply counts, which Odoo reserves to inventory administrators.
    ApplyCounts,
}

impl WriteBack {
    pub const ALL: [WriteBack; 5] = [
        WriteBack::CreateProducts,
        WriteBack::UpdateProducts,
        WriteBack::WriteOffs,
        WriteBack::EnterCounts,
        WriteBack::ApplyCounts,
    ];

    /// What the right lets TrueStock do, completing "TrueStock can …".
    pub fn describe(self) -> &'static str {
        match self {
            WriteBack::CreateProducts => "create products",
            WriteBack::UpdateProducts => "change products",
            WriteBack::WriteOffs => "record approved write-offs as scraps",
            WriteBack::EnterCounts => "enter counted quantities",
            WriteBack::ApplyCounts => "apply inventory counts",
        }
    }

    /// The model rights it needs.
    fn access(self) -> &'static [(&'static str, Operation)] {
        match self {
            WriteBack::CreateProducts => &[("product.template", Operation::Create)],
            WriteBack::UpdateProducts => &[
                ("product.template", Operation::Write),
                ("product.product", Operation::Write),
            ],
            // Validating a scrap writes it (state, date done).
            WriteBack::WriteOffs => &[("stock.scrap", Operation::Create), ("stock.scrap", Operation::Write)],
            WriteBack::EnterCounts | WriteBack::ApplyCounts => &[("stock.quant", Operation::Write)],
        }
    }

    /// The group it needs besides the model rights.
    fn group(self) -> Option<&'static str> {
        match self {
            WriteBack::ApplyCounts => Some(GROUP_STOCK_MANAGER),
            _ => None,
        }
    }
}

/// Something a write-back right needs that the TrueStock user lacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Missing {
    /// Odoo's access rights refuse the operation on the model.
    Access { model: &'static str, operation: Operation },
    /// The user is not in the group (`name` as Odoo shows it, "Inventory / Administrator").
    Group { xml_id: &'static str, name: String },
    /// The groups could not be read, so membership is unknown.
    GroupsUnreadable,
}

/// One write-back right: granted when nothing is missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteBackRight {
    pub right: WriteBack,
    pub missing: Vec<Missing>,
}

impl WriteBackRight {
    pub fn granted(&self) -> bool {
        self.missing.is_empty()
    }
}

/// A way to change stock or products in Odoo without going through TrueStock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BypassRight {
    /// Apply inventory counts (Inventory / Administrator).
    ApplyCounts,
    /// Create or change products (the Inventory, Purchase and Sales administrators).
    ChangeProducts,
    /// Scrap stock (Inventory / User and above).
    WriteOffs,
}

impl BypassRight {
    pub const ALL: [BypassRight; 3] = [
        BypassRight::ApplyCounts,
        BypassRight::ChangeProducts,
        BypassRight::WriteOffs,
    ];

    /// What the right lets people do, completing "… can …".
    pub fn describe(self) -> &'static str {
        match self {
            BypassRight::ApplyCounts => "apply inventory counts",
            BypassRight::ChangeProducts => "create or change products",
            BypassRight::WriteOffs => "scrap stock (write-offs)",
        }
    }

    /// The groups that give it, by external identifier.
    fn groups(self) -> &'static [&'static str] {
        match self {
            BypassRight::ApplyCounts => &[GROUP_STOCK_MANAGER],
            BypassRight::ChangeProducts => &[GROUP_STOCK_MANAGER, GROUP_PURCHASE_MANAGER, GROUP_SALES_MANAGER],
            BypassRight::WriteOffs => &[GROUP_STOCK_USER],
        }
    }
}

/// The ordinary users of one Odoo group: active internal users other than TrueStock's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMembers {
    pub xml_id: &'static str,
    /// As Odoo shows it: "Inventory / Administrator".
    pub name: String,
    /// Names, sorted.
    pub users: Vec<String>,
}

/// The people who hold one bypass right, group by group (groups the Odoo lacks are left out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bypass {
    pub right: BypassRight,
    pub groups: Vec<GroupMembers>,
}

impl Bypass {
    /// Everyone who holds the right through any of its groups, sorted, each once.
    pub fn users(&self) -> Vec<&str> {
        let names: BTreeSet<&str> = self
            .groups
            .iter()
            .flat_map(|g| g.users.iter().map(String::as_str))
            .collect();
        names.into_iter().collect()
    }
}

/// The user TrueStock connects as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BotUser {
    pub uid: i64,
    /// `None` when Odoo would not let it read its own user.
    pub name: Option<String>,
    pub login: Option<String>,
}

/// A company the TrueStock user may work in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Company {
    pub id: i64,
    pub name: Option<String>,
}

/// Whether one model TrueStock reads is readable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelAccess {
    pub model: &'static str,
    pub readable: bool,
}

/// How a finding weighs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// As it should be.
    Ok,
    /// Works, but governance has a gap or a feature is unavailable.
    Warning,
    /// TrueStock cannot do its job until someone changes Odoo.
    Problem,
}

/// One sentence of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub severity: Severity,
    pub text: String,
}

/// The connection test's report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Survey {
    /// As Odoo reports it ("17.0", "saas~17.4").
    pub version: String,
    pub user: BotUser,
    /// The user's allowed companies.
    pub companies: Vec<Company>,
    /// Every model of [`READ_MODELS`], in that order.
    pub models: Vec<ModelAccess>,
    /// Every [`WriteBack`], in the order of [`WriteBack::ALL`].
    pub write_back: Vec<WriteBackRight>,
    /// Every [`BypassRight`], in the order of [`BypassRight::ALL`]; empty when the groups could not be
    /// read.
    pub bypasses: Vec<Bypass>,
    /// Whether Odoo's groups and their members could be read.
    pub groups_readable: bool,
}

impl Survey {
    pub fn is_readable(&self, model: &str) -> bool {
        self.models.iter().any(|m| m.model == model && m.readable)
    }

    pub fn unreadable(&self) -> Vec<&'static str> {
        self.models.iter().filter(|m| !m.readable).map(|m| m.model).collect()
    }

    pub fn may(&self, right: WriteBack) -> bool {
        self.write_back.iter().any(|w| w.right == right && w.granted())
    }

    pub fn right(&self, right: WriteBack) -> Option<&WriteBackRight> {
        self.write_back.iter().find(|w| w.right == right)
    }

    pub fn bypass(&self, right: BypassRight) -> Option<&Bypass> {
        self.bypasses.iter().find(|b| b.right == right)
    }

    /// The report in sentences, most important first within each part: who TrueStock is connected as,
    /// what it cannot read, what it may and may not write, and who else can change stock or products.
    pub fn findings(&self) -> Vec<Finding> {
        let mut findings = Vec::new();
        let who = match (&self.user.name, &self.user.login) {
            (Some(name), Some(login)) => format!("{name} ({login})"),
            (Some(name), None) => name.clone(),
            _ => format!("user #{}", self.user.uid),
        };
        findings.push(Finding {
            severity: Severity::Ok,
            text: format!("Connected to Odoo {} as {who}.", self.version),
        });
        let companies: Vec<String> = self
            .companies
            .iter()
            .map(|c| c.name.clone().unwrap_or_else(|| format!("company #{}", c.id)))
            .collect();
        findings.push(match companies.len() {
            0 => Finding {
                severity: Severity::Problem,
                text: "Odoo lists no company the TrueStock user may work in.".into(),
            },
            1 => Finding {
                severity: Severity::Ok,
                text: format!("The TrueStock user works in 1 company: {}.", companies[0]),
            },
            n => Finding {
                severity: Severity::Ok,
                text: format!("The TrueStock user works in {n} companies: {}.", companies.join(", ")),
            },
        });
        let unreadable = self.unreadable();
        if unreadable.is_empty() {
            findings.push(Finding {
                severity: Severity::Ok,
                text: format!(
                    "TrueStock can read everything it needs from Odoo ({} kinds of records).",
                    self.models.len()
                ),
            });
        } else {
            let list: Vec<String> = unreadable.iter().map(|m| format!("{} ({m})", plain_name(m))).collect();
            findings.push(Finding {
                severity: Severity::Problem,
                text: format!(
                    "Odoo does not let the TrueStock user read {}, so TrueStock cannot keep {} up to date. \
                     Ask your Odoo administrator to give the TrueStock user read access.",
                    list.join(", "),
                    if unreadable.len() == 1 { "it" } else { "them" }
                ),
            });
        }
        for right in &self.write_back {
            findings.push(if right.granted() {
                Finding {
                    severity: Severity::Ok,
                    text: format!("TrueStock can {} in Odoo.", right.right.describe()),
                }
            } else {
                let reasons: Vec<String> = right
                    .missing
                    .iter()
                    .map(|m| match m {
                        Missing::Access { model, operation } => format!(
                            "Odoo does not let the TrueStock user {} {} ({model})",
                            match operation {
                                Operation::Create => "create",
                                Operation::Write => "change",
                            },
                            plain_name(model)
                        ),
                        Missing::Group { name, .. } => format!("the TrueStock user is not in {name}"),
                        Missing::GroupsUnreadable => "its Odoo groups could not be read".into(),
                    })
                    .collect();
                Finding {
                    severity: Severity::Warning,
                    text: format!(
                        "TrueStock cannot {} in Odoo: {}.",
                        right.right.describe(),
                        reasons.join(", and ")
                    ),
                }
            });
        }
        if !self.groups_readable {
            findings.push(Finding {
                severity: Severity::Warning,
                text: "TrueStock could not read Odoo's access groups, so it cannot tell who else can change \
                       stock or products in Odoo."
                    .into(),
            });
        }
        for bypass in &self.bypasses {
            let users = bypass.users();
            let groups: Vec<&str> = bypass.groups.iter().map(|g| g.name.as_str()).collect();
            findings.push(match users.len() {
                0 => Finding {
                    severity: Severity::Ok,
                    text: format!(
                        "Nobody other than the TrueStock user can {} in Odoo.",
                        bypass.right.describe()
                    ),
                },
                n => Finding {
                    severity: Severity::Warning,
                    text: format!(
                        "{n} {} other than the TrueStock user can {} in Odoo ({}): {}.",
                        if n == 1 { "person" } else { "people" },
                        bypass.right.describe(),
                        groups.join(", "),
                        users.join(", ")
                    ),
                },
            });
        }
        findings
    }
}

/// Runs the connection test. Refusals (Odoo's `AccessError`) become findings; anything else (the
/// connection, the credentials, a malformed answer) is the error.
#[tracing::instrument(skip(client), fields(version = %client.version().text, uid = client.uid()))]
pub async fn survey(client: &Client) -> Result<Survey, OdooError> {
    let uid = client.uid();
    let (user, company_ids) = read_bot(client, uid).await?;
    let companies = read_companies(client, &company_ids).await?;

    let models: Vec<ModelAccess> = stream::iter(READ_MODELS)
        .map(|model| async move {
            Ok::<_, OdooError>(ModelAccess {
                model,
                readable: is_readable(client, model).await?,
            })
        })
        .buffered(CONCURRENT_CALLS)
        .try_collect()
        .await?;

    let checks: BTreeSet<(&'static str, Operation)> =
        WriteBack::ALL.iter().flat_map(|w| w.access().iter().copied()).collect();
    let allowed: HashMap<(&'static str, Operation), bool> = stream::iter(checks)
        .map(|(model, operation)| async move {
            Ok::<_, OdooError>(((model, operation), may(client, model, operation).await?))
        })
        .buffered(CONCURRENT_CALLS)
        .try_collect()
        .await?;

    let groups = read_groups(client).await?;
    let members = match &groups {
        Some(groups) => ordinary_members(client, groups, uid).await?,
        None => None,
    };
    let groups_readable = members.is_some();

    let write_back = WriteBack::ALL
        .iter()
        .map(|&right| {
            let mut missing: Vec<Missing> = right
                .access()
                .iter()
                .filter(|check| !allowed.get(*check).copied().unwrap_or(false))
                .map(|&(model, operation)| Missing::Access { model, operation })
                .collect();
            if let Some(xml_id) = right.group() {
                match &groups {
                    Some(groups) => {
                        let held = groups.get(xml_id).is_some_and(|g| g.members.contains(&uid));
                        if !held {
                            let name = groups
                                .get(xml_id)
                                .map_or_else(|| xml_id.to_string(), |g| g.name.clone());
                            missing.push(Missing::Group { xml_id, name });
                        }
                    }
                    None => missing.push(Missing::GroupsUnreadable),
                }
            }
            WriteBackRight { right, missing }
        })
        .collect();

    let bypasses = match (&groups, &members) {
        (Some(groups), Some(names)) => BypassRight::ALL
            .iter()
            .map(|&right| Bypass {
                right,
                groups: right
                    .groups()
                    .iter()
                    .filter_map(|xml_id| {
                        let group = groups.get(xml_id)?;
                        let mut users: Vec<String> =
                            group.members.iter().filter_map(|id| names.get(id).cloned()).collect();
                        users.sort();
                        Some(GroupMembers {
                            xml_id,
                            name: group.name.clone(),
                            users,
                        })
                    })
                    .collect(),
            })
            .collect(),
        _ => Vec::new(),
    };

    Ok(Survey {
        version: client.version().text.clone(),
        user,
        companies,
        models,
        write_back,
        bypasses,
        groups_readable,
    })
}

/// `Ok(None)` for Odoo's `AccessError`, other errors as they are.
fn refused_as_none<T>(outcome: Result<T, OdooError>) -> Result<Option<T>, OdooError> {
    match outcome {
        Ok(value) => Ok(Some(value)),
        Err(OdooError::AccessDenied { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

#[derive(Debug, Deserialize)]
struct UserRow {
    #[serde(deserialize_with = "value::opt_string", default)]
    name: Option<String>,
    #[serde(deserialize_with = "value::opt_string", default)]
    login: Option<String>,
    #[serde(deserialize_with = "value::ids", default)]
    company_ids: Vec<i64>,
}

async fn read_bot(client: &Client, uid: i64) -> Result<(BotUser, Vec<i64>), OdooError> {
    let rows: Option<Vec<UserRow>> = refused_as_none(
        client
            .read(
                "res.users",
                &[uid],
                &["name", "login", "company_ids"],
                &SearchOptions::default(),
            )
            .await,
    )?;
    let row = rows.and_then(|rows| rows.into_iter().next());
    let user = BotUser {
        uid,
        name: row.as_ref().and_then(|r| r.name.clone()),
        login: row.as_ref().and_then(|r| r.login.clone()),
    };
    Ok((user, row.map(|r| r.company_ids).unwrap_or_default()))
}

#[derive(Debug, Deserialize)]
struct NamedRow {
    id: i64,
    #[serde(deserialize_with = "value::opt_string", default)]
    name: Option<String>,
}

async fn read_companies(client: &Client, ids: &[i64]) -> Result<Vec<Company>, OdooError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Option<Vec<NamedRow>> = refused_as_none(
        client
            .read("res.company", ids, &["name"], &SearchOptions::default())
            .await,
    )?;
    let names: HashMap<i64, Option<String>> = rows.unwrap_or_default().into_iter().map(|r| (r.id, r.name)).collect();
    Ok(ids
        .iter()
        .map(|id| Company {
            id: *id,
            name: names.get(id).cloned().flatten(),
        })
        .collect())
}

/// One cheap read: an `AccessError` means the model is not readable.
async fn is_readable(client: &Client, model: &str) -> Result<bool, OdooError> {
    let options = SearchOptions::default().limit(1).order("id asc");
    let read: Result<Vec<Value>, OdooError> = client.search_read(model, &Domain::all(), &["id"], &options).await;
    Ok(refused_as_none(read)?.is_some())
}

/// Whether the TrueStock user's access rights allow `operation` on `model`, asked without doing it.
async fn may(client: &Client, model: &str, operation: Operation) -> Result<bool, OdooError> {
    let options = SearchOptions::default();
    let answer = if client.version().major >= 18 {
        client
            .call_method(
                model,
                "has_access",
                &[],
                vec![("operation", json!(operation.as_str()))],
                &options,
            )
            .await?
    } else {
        client
            .call_model_method(
                model,
                "check_access_rights",
                vec![
                    ("operation", json!(operation.as_str())),
                    ("raise_exception", json!(false)),
                ],
                &options,
            )
            .await?
    };
    answer
        .as_bool()
        .ok_or_else(|| OdooError::Malformed(format!("{model}: the access check answered {answer}")))
}

/// A group found by its external identifier.
#[derive(Debug)]
struct Group {
    name: String,
    /// Everyone in it, implied memberships included.
    members: BTreeSet<i64>,
}

#[derive(Debug, Deserialize)]
struct XmlIdRow {
    #[serde(deserialize_with = "value::opt_string", default)]
    module: Option<String>,
    #[serde(deserialize_with = "value::opt_string", default)]
    name: Option<String>,
    #[serde(deserialize_with = "value::integer", default)]
    res_id: i64,
}

/// The groups of [`GROUPS`] this Odoo has, by external identifier; `None` when Odoo refuses to show
/// them.
async fn read_groups(client: &Client) -> Result<Option<BTreeMap<&'static str, Group>>, OdooError> {
    let modules: BTreeSet<&str> = GROUPS
        .iter()
        .filter_map(|x| x.split_once('.'))
        .map(|(m, _)| m)
        .collect();
    let names: BTreeSet<&str> = GROUPS
        .iter()
        .filter_map(|x| x.split_once('.'))
        .map(|(_, n)| n)
        .collect();
    let domain = Domain::leaf("model", Op::Eq, "res.groups")
        .and_leaf("module", Op::In, json!(modules))
        .and_leaf("name", Op::In, json!(names));
    let found: Option<Vec<XmlIdRow>> = refused_as_none(
        client
            .search_read(
                "ir.model.data",
                &domain,
                &["module", "name", "res_id"],
                &SearchOptions::default().order("id asc"),
            )
            .await,
    )?;
    let Some(found) = found else {
        return Ok(None);
    };
    let by_id: HashMap<i64, &'static str> = found
        .iter()
        .filter_map(|row| {
            let xml_id = format!("{}.{}", row.module.as_deref()?, row.name.as_deref()?);
            let known = GROUPS.iter().find(|g| **g == xml_id)?;
            Some((row.res_id, *known))
        })
        .collect();
    if by_id.is_empty() {
        return Ok(Some(BTreeMap::new()));
    }
    // 19 keeps explicit members in `user_ids` and computes everyone into `all_user_ids`.
    let members_field = if client.version().major >= 19 {
        "all_user_ids"
    } else {
        "users"
    };
    let ids: Vec<i64> = by_id.keys().copied().collect();
    let rows: Option<Vec<Value>> = refused_as_none(
        client
            .read(
                "res.groups",
                &ids,
                &["full_name", members_field],
                &SearchOptions::default(),
            )
            .await,
    )?;
    let Some(rows) = rows else {
        return Ok(None);
    };
    let mut groups = BTreeMap::new();
    for row in rows {
        let id = row.get("id").and_then(Value::as_i64);
        let Some(xml_id) = id.and_then(|id| by_id.get(&id)) else {
            continue;
        };
        let name = row
            .get("full_name")
            .and_then(Value::as_str)
            .unwrap_or(xml_id)
            .to_string();
        let members = match row.get(members_field) {
            Some(Value::Array(ids)) => ids.iter().filter_map(Value::as_i64).collect(),
            other => {
                return Err(OdooError::Malformed(format!(
                    "res.groups.{members_field} is {}",
                    other.unwrap_or(&Value::Null)
                )));
            }
        };
        groups.insert(*xml_id, Group { name, members });
    }
    Ok(Some(groups))
}

/// The names of the ordinary users among the groups' members: active, internal (in
/// `base.group_user`), neither TrueStock's user nor Odoo's superuser. `None` when Odoo refuses to show
/// users.
async fn ordinary_members(
    client: &Client,
    groups: &BTreeMap<&'static str, Group>,
    bot: i64,
) -> Result<Option<HashMap<i64, String>>, OdooError> {
    let internal = groups.get(GROUP_INTERNAL_USER).map(|g| &g.members);
    let candidates: BTreeSet<i64> = groups
        .iter()
        .filter(|(xml_id, _)| **xml_id != GROUP_INTERNAL_USER)
        .flat_map(|(_, g)| g.members.iter().copied())
        .filter(|id| *id != bot && *id != SUPERUSER_ID)
        .filter(|id| internal.is_none_or(|members| members.contains(id)))
        .collect();
    if candidates.is_empty() {
        return Ok(Some(HashMap::new()));
    }
    let domain = Domain::leaf("id", Op::In, json!(candidates)).and_leaf("active", Op::Eq, true);
    let rows: Option<Vec<NamedRow>> = refused_as_none(
        client
            .search_read(
                "res.users",
                &domain,
                &["name"],
                &SearchOptions::default().order("id asc"),
            )
            .await,
    )?;
    Ok(rows.map(|rows| {
        rows.into_iter()
            .map(|r| (r.id, r.name.unwrap_or_else(|| format!("user #{}", r.id))))
            .collect()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn survey() -> Survey {
        Survey {
            version: "17.0".into(),
            user: BotUser {
                uid: 2,
                name: Some("TrueStock Bot".into()),
                login: Some("bot@example.com".into()),
            },
            companies: vec![
                Company {
                    id: 1,
                    name: Some("North".into()),
                },
                Company {
                    id: 2,
                    name: Some("Outlet".into()),
                },
            ],
            models: READ_MODELS
                .iter()
                .map(|&model| ModelAccess {
                    model,
                    readable: model != "stock.quant",
                })
                .collect(),
            write_back: vec![
                WriteBackRight {
                    right: WriteBack::CreateProducts,
                    missing: Vec::new(),
                },
                WriteBackRight {
                    right: WriteBack::ApplyCounts,
                    missing: vec![
                        Missing::Access {
                            model: "stock.quant",
                            operation: Operation::Write,
                        },
                        Missing::Group {
                            xml_id: GROUP_STOCK_MANAGER,
                            name: "Inventory / Administrator".into(),
                        },
                    ],
                },
            ],
            bypasses: vec![
                Bypass {
                    right: BypassRight::ApplyCounts,
                    groups: vec![GroupMembers {
                        xml_id: GROUP_STOCK_MANAGER,
                        name: "Inventory / Administrator".into(),
                        users: vec!["Ann".into(), "Bob".into(), "Cy".into()],
                    }],
                },
                Bypass {
                    right: BypassRight::ChangeProducts,
                    groups: vec![
                        GroupMembers {
                            xml_id: GROUP_STOCK_MANAGER,
                            name: "Inventory / Administrator".into(),
                            users: vec!["Bob".into()],
                        },
                        GroupMembers {
                            xml_id: GROUP_PURCHASE_MANAGER,
                            name: "Purchase / Administrator".into(),
                            users: vec!["Bob".into()],
                        },
                    ],
                },
                Bypass {
                    right: BypassRight::WriteOffs,
                    groups: Vec::new(),
                },
            ],
            groups_readable: true,
        }
    }

    fn texts(survey: &Survey) -> Vec<String> {
        survey.findings().into_iter().map(|f| f.text).collect()
    }

    #[test]
    fn findings_name_the_people_and_the_group_in_plain_words() {
        let texts = texts(&survey());
        assert!(
            texts.contains(
                &"3 people other than the TrueStock user can apply inventory counts in Odoo \
              (Inventory / Administrator): Ann, Bob, Cy."
                    .to_string()
            )
        );
        // Someone in two groups that give the same right counts once.
        assert!(
            texts.contains(
                &"1 person other than the TrueStock user can create or change products in Odoo \
              (Inventory / Administrator, Purchase / Administrator): Bob."
                    .to_string()
            )
        );
        assert!(
            texts.contains(&"Nobody other than the TrueStock user can scrap stock (write-offs) in Odoo.".to_string())
        );
        assert!(texts.contains(&"The TrueStock user works in 2 companies: North, Outlet.".to_string()));
    }

    #[test]
    fn missing_rights_and_unreadable_models_say_why_without_odoo_jargon() {
        let findings = survey().findings();
        let problem = findings
            .iter()
            .find(|f| f.severity == Severity::Problem)
            .expect("an unreadable model is a problem");
        assert!(
            problem.text.contains("read stock on hand (stock.quant)"),
            "{}",
            problem.text
        );
        let texts = texts(&survey());
        assert!(
            texts.contains(
                &"TrueStock cannot apply inventory counts in Odoo: Odoo does not let the TrueStock user change \
              stock on hand (stock.quant), and the TrueStock user is not in Inventory / Administrator."
                    .to_string()
            )
        );
        assert!(texts.contains(&"TrueStock can create products in Odoo.".to_string()));
        assert!(
            texts
                .iter()
                .all(|t| !t.contains("AccessError") && !t.contains("odoo.exceptions"))
        );
    }

    #[test]
    fn unreadable_groups_are_said_once_and_leave_no_bypass_lists() {
        let mut survey = survey();
        survey.groups_readable = false;
        survey.bypasses.clear();
        let texts = texts(&survey);
        assert_eq!(
            texts
                .iter()
                .filter(|t| t.contains("could not read Odoo's access groups"))
                .count(),
            1
        );
        assert!(texts.iter().all(|t| !t.contains("other than the TrueStock user can")));
    }
}

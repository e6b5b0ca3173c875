//! Service-provider lookup like the Python `agent.list_service_providers()` (ns8-runtime §2.4):
//! `SCAN` for `*/srv/<transport>/<service>` records, enrich `module/…` records with the module id,
//! sequence number, UUID, node, qualifier, transport and UI name, keep the records matching every
//! filter exactly, collapse clone/restore duplicates of one `module_uuid`, and sort.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use redis::{Commands, Connection, RedisResult, ScanOptions};

/// Keys examined per SCAN round trip (the leader holds many task keys besides the records).
const SCAN_BATCH: usize = 1000;

/// Order of the returned providers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortBy {
    /// Providers on the local node (`NODE_ID`) first, then on the leader node, then the others;
    /// ties by module sequence number (Python `node_proximity`, the default).
    #[default]
    NodeProximity,
    /// By module sequence number, lowest first (Python `module_seq_asc`).
    ModuleSeqAsc,
    /// By module sequence number, highest first (Python `module_seq_desc`).
    ModuleSeqDesc,
}

/// One service record with its enrichment fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceProvider {
    /// The Redis key, e.g. `module/mail1/srv/tcp/imap`.
    pub key: String,
    /// The record fields plus, for `module/…` keys, `module_id`, `module_seq`, `module_uuid`,
    /// `node`, `transport`, `qualifier` (only when the key has one) and `ui_name` (only when the
    /// module has one). All values are strings.
    pub fields: BTreeMap<String, String>,
}

impl ServiceProvider {
    /// A field value.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.fields.get(field).map(String::as_str)
    }

    /// The providing module (`mail1`), for `module/…` records.
    pub fn module_id(&self) -> Option<&str> {
        self.get("module_id")
    }

    /// The module sequence number (`12` for `mail12`); `-1` when unknown.
    pub fn module_seq(&self) -> i64 {
        self.get("module_seq")
            .and_then(|seq| seq.parse().ok())
            .unwrap_or(-1)
    }
}

/// The trailing digits of a module id as a number (`mail12` → 12); `-1` when there are none or
/// they overflow.
pub fn get_module_seq(module_id: &str) -> i64 {
    let digits_start = module_id
        .rfind(|c: char| !c.is_ascii_digit())
        .map_or(0, |i| i + 1);
    module_id[digits_start..].parse().unwrap_or(-1)
}

/// Providers of `service` over `transport` (`*` for any) matching every `(field, value)` filter,
/// sorted by `sort`; the local node for [`SortBy::NodeProximity`] is `NODE_ID` from the process
/// environment.
pub fn list_service_providers(
    conn: &mut Connection,
    service: &str,
    transport: &str,
    filters: &[(&str, &str)],
    sort: SortBy,
) -> RedisResult<Vec<ServiceProvider>> {
    let local_node = std::env::var("NODE_ID").ok();
    list_service_providers_near(
        conn,
        service,
        transport,
        filters,
        sort,
        local_node.as_deref(),
    )
}

/// [`list_service_providers`] with an explicit local node.
pub fn list_service_providers_near(
    conn: &mut Connection,
    service: &str,
    transport: &str,
    filters: &[(&str, &str)],
    sort: SortBy,
    local_node: Option<&str>,
) -> RedisResult<Vec<ServiceProvider>> {
    // SCAN may return a key more than once; the set also gives a stable base order.
    let scan = ScanOptions::default()
        .with_pattern(format!("*/srv/{transport}/{service}"))
        .with_count(SCAN_BATCH);
    let keys: BTreeSet<String> = conn
        .scan_options::<String>(scan)?
        .collect::<RedisResult<_>>()?;

    let mut providers = Vec::new();
    for key in keys {
        let provider = read_provider(conn, key)?;
        let matches = filters
            .iter()
            .all(|(field, value)| provider.get(field) == Some(*value));
        if matches {
            providers.push(provider);
        }
    }

    if filters.iter().any(|(field, _)| *field == "module_uuid") {
        keep_newest_module(&mut providers);
    }

    match sort {
        SortBy::NodeProximity => {
            let leader_node: Option<String> = conn.hget("cluster/environment", "NODE_ID")?;
            let rank = |p: &ServiceProvider| match p.get("node") {
                Some(node) if Some(node) == local_node => 0,
                Some(node) if Some(node) == leader_node.as_deref() => 1,
                _ => 2,
            };
            providers.sort_by(|a, b| {
                (rank(a), a.module_seq(), &a.key).cmp(&(rank(b), b.module_seq(), &b.key))
            });
        }
        SortBy::ModuleSeqAsc => {
            providers.sort_by(|a, b| (a.module_seq(), &a.key).cmp(&(b.module_seq(), &b.key)));
        }
        SortBy::ModuleSeqDesc => {
            providers.sort_by(|a, b| (b.module_seq(), &a.key).cmp(&(a.module_seq(), &b.key)));
        }
    }
    Ok(providers)
}

/// `HGETALL` the record and, for a `module/<id>/[<qualifier>/]srv/<transport>/<service>` key, add
/// the module fields. The cluster-wide `module_uuid` and `node` maps win over the record's own
/// fields; the record's value stays only when the cluster map has none.
fn read_provider(conn: &mut Connection, key: String) -> RedisResult<ServiceProvider> {
    let record: HashMap<String, String> = conn.hgetall(&key)?;
    let mut fields: BTreeMap<String, String> = record.into_iter().collect();

    let parts: Vec<&str> = key.split('/').collect();
    if parts[0] == "module" && parts.len() >= 4 {
        let module_id = parts[1];
        fields.insert("module_id".into(), module_id.into());
        fields.insert("module_seq".into(), get_module_seq(module_id).to_string());
        let uuid: Option<String> = conn.hget("cluster/module_uuid", module_id)?;
        if let Some(uuid) = uuid {
            fields.insert("module_uuid".into(), uuid);
        }
        let node: Option<String> = conn.hget("cluster/module_node", module_id)?;
        if let Some(node) = node {
            fields.insert("node".into(), node);
        }
        if parts[2] != "srv" {
            fields.insert("qualifier".into(), parts[2].into());
        }
        fields.insert("transport".into(), parts[parts.len() - 2].into());
        let ui_name: Option<String> = conn.get(format!("module/{module_id}/ui_name"))?;
        if let Some(ui_name) = ui_name {
            fields.insert("ui_name".into(), ui_name);
        }
    }
    Ok(ServiceProvider { key, fields })
}

/// Clone and restore briefly leave two modules with one UUID: keep the records of the module with
/// the highest sequence number only.
fn keep_newest_module(providers: &mut Vec<ServiceProvider>) {
    if providers.len() < 2 {
        return;
    }
    let newest = providers
        .iter()
        .max_by_key(|p| p.module_seq())
        .map(|p| p.module_id().map(str::to_owned));
    if let Some(newest) = newest {
        providers.retain(|p| p.module_id().map(str::to_owned) == newest);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_sequence_numbers() {
        assert_eq!(get_module_seq("mail12"), 12);
        assert_eq!(get_module_seq("mail1"), 1);
        assert_eq!(get_module_seq("s3proxy7"), 7);
        assert_eq!(get_module_seq("mail007"), 7);
        assert_eq!(get_module_seq("mail"), -1);
        assert_eq!(get_module_seq(""), -1);
        assert_eq!(get_module_seq("mail99999999999999999999999"), -1);
    }
}

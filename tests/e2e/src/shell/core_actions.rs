//! What the NS8 core answers for the actions the module UI calls but the module does not
//! ship: the base module actions `get-status` and `get-name`, and the cluster actions of the
//! Status page. Small outputs with the real shapes, built from the running node.

use super::events::TaskEnd;
use crate::node::{Node, BINARY_IMAGE, IMAGE_URL, MAIL2_AGENT, MAIL_AGENT, MODULE_ID};
use serde_json::{json, Value};

/// The image repository of a URL (the URL without its tag).
fn repository(url: &str) -> &str {
    url.rsplit_once(':').map_or(url, |(repo, _)| repo)
}

/// The answer of a base module action, when `action` is one and the module does not
/// define it itself.
pub fn module_base_action(node: &Node, action: &str) -> Option<TaskEnd> {
    if node.install_dir().join("actions").join(action).is_dir() {
        return None;
    }
    match action {
        "get-status" => Some(TaskEnd::completed(module_status(node))),
        "get-name" => Some(TaskEnd::completed(json!({"name": MODULE_ID}))),
        _ => None,
    }
}

/// `get-status`: the instance, its node, `imapsync.service` as the `systemctl` stand-in
/// sees it, the images and (none) volumes.
pub fn module_status(node: &Node) -> Value {
    let enabled = node
        .home()
        .join("standin/imapsync.service.enabled")
        .exists();
    json!({
        "instance": MODULE_ID,
        "ui_name": "",
        "node": "1",
        "node_ui_name": "",
        "services": [{
            "name": "imapsync",
            "active": node.supervisor_pid().is_some(),
            "enabled": enabled,
            "failed": false,
        }],
        "images": [
            {"name": IMAGE_URL, "size": "", "created": ""},
            {"name": BINARY_IMAGE, "size": "", "created": ""},
        ],
        "volumes": [],
    })
}

/// A cluster action: the backup ones answer "nothing configured", `list-installed-modules`
/// names this instance and the two Mail instances; anything else is not defined.
pub fn cluster_action(action: &str) -> TaskEnd {
    match action {
        "list-backup-repositories" => TaskEnd::completed(json!([])),
        "list-backups" => TaskEnd::completed(json!({"backups": [], "unconfigured_instances": []})),
        "list-installed-modules" => TaskEnd::completed(installed_modules()),
        _ => TaskEnd::undefined(action),
    }
}

/// `list-installed-modules`: instances grouped by image repository.
pub fn installed_modules() -> Value {
    let instance = |id: &str, module: &str, source: &str, node: &str| {
        json!({
            "id": id, "module": module, "source": source, "node": node, "node_ui_name": "",
            "ui_name": "", "version": "e2e", "repository": "default", "flags": [],
            "logo": null, "digest": "",
        })
    };
    let imapsync = repository(IMAGE_URL);
    let mail = "ghcr.io/nethserver/mail";
    let mail_id = |agent: &str| agent.trim_start_matches("module/").to_string();
    json!({
        imapsync: [instance(MODULE_ID, "imapsync", imapsync, "1")],
        mail: [
            instance(&mail_id(MAIL_AGENT), "mail", mail, "1"),
            instance(&mail_id(MAIL2_AGENT), "mail", mail, "2"),
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_actions_have_the_real_shapes() {
        assert_eq!(cluster_action("list-backup-repositories").output, json!([]));
        assert_eq!(cluster_action("list-backups").output["backups"], json!([]));
        let installed = cluster_action("list-installed-modules").output;
        assert_eq!(installed["ghcr.io/nethserver/imapsync"][0]["id"], MODULE_ID);
        assert_eq!(installed["ghcr.io/nethserver/mail"][1]["node"], "2");
        let other = cluster_action("add-module");
        assert_eq!((other.status.as_str(), other.exit_code), ("aborted", 8));
    }
}

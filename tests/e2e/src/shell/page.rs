//! The shell page itself (HTML, script, style kept in `tests/e2e/shell/` and embedded), with
//! the per-run settings the script needs written into it.

use serde_json::json;

/// `shell.js`.
pub const SCRIPT: &str = include_str!("../../shell/shell.js");
/// `shell.css`.
pub const STYLE: &str = include_str!("../../shell/shell.css");
const TEMPLATE: &str = include_str!("../../shell/index.html");
const PLACEHOLDER: &str = "/*SHELL_CONFIG*/";

/// What the page needs to know.
#[derive(Clone, Debug)]
pub struct PageSettings {
    /// Module id of the hosted app (`imapsync1`).
    pub module_id: String,
    /// Its name in the navigation.
    pub app_label: String,
    /// The logged-in user.
    pub username: String,
    /// Their API token.
    pub token: String,
    /// Task ends up to this one happened before the page loaded and are not replayed.
    pub events_after: u64,
}

/// The HTML of `/cluster-admin/`.
pub fn render(settings: &PageSettings) -> String {
    let config = json!({
        "moduleId": settings.module_id,
        "appLabel": settings.app_label,
        "username": settings.username,
        "token": settings.token,
        "eventsAfter": settings.events_after,
    });
    let script_safe = config.to_string().replace("</", "<\\/");
    TEMPLATE.replace(PLACEHOLDER, &script_safe)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_settings_land_in_the_page_as_a_script_value() {
        let html = render(&PageSettings {
            module_id: "imapsync1".into(),
            app_label: "Imapsync</script>".into(),
            username: "admin".into(),
            token: "tok".into(),
            events_after: 7,
        });
        assert!(!html.contains(PLACEHOLDER));
        assert!(html.contains(r#""moduleId":"imapsync1""#), "{html}");
        assert!(html.contains(r#""eventsAfter":7"#));
        assert!(html.contains(r#"Imapsync<\/script>"#));
        assert!(html.contains("NethServer 8 (test shell)"));
    }
}

//! Configuration: a TOML file (`--config`), then `HEARTH_*` environment variables on top.
//! Unknown keys are refused, so a misspelt setting is an error rather than silently ignored.

use anyhow::{bail, Context, Result};
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// A SQLite file path or `sqlite:` URL, or a `postgres://` URL.
    pub database_url: String,
    /// The master key file, kept outside the database (and outside its backups).
    pub key_file: PathBuf,
    /// Address and port to listen on.
    pub listen: String,
    /// Set when Hearth is served over HTTPS (directly or behind a proxy): cookies become
    /// `Secure` and browsers are told to use HTTPS only.
    pub secure_cookies: bool,
    pub idle_timeout_minutes: i64,
    pub absolute_timeout_hours: i64,
    /// A tracing filter, e.g. `info` or `hearth=debug,info`.
    pub log: String,
    /// Working days allowed from referral to first successful contact, by risk.
    pub first_contact: hearth_domain::targets::FirstContactTargets,
    /// Open cases one worker can carry; team managers see caseloads against it.
    pub caseload_capacity: i64,
    /// Why cases and involvements close. Empty means Hearth's own list.
    pub exit_reasons: Vec<ExitReason>,
    pub risk: RiskConfig,
    pub marac: MaracConfig,
    pub server: ServerConfig,
}

/// Limits that keep slow or stalled clients from holding the server.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Seconds a client has to send a request's headers (and to start its next request).
    pub header_read_timeout_seconds: u64,
    /// Seconds a client has to send a request's body.
    pub body_read_timeout_seconds: u64,
    /// Connections served at once; more wait in the listen queue.
    pub max_connections: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        let d = hearth_web::ServeLimits::default();
        Self {
            header_read_timeout_seconds: d.header_read_timeout.as_secs(),
            body_read_timeout_seconds: d.body_read_timeout.as_secs(),
            max_connections: d.max_connections,
        }
    }
}

impl ServerConfig {
    pub fn limits(&self) -> hearth_web::ServeLimits {
        hearth_web::ServeLimits {
            header_read_timeout: std::time::Duration::from_secs(self.header_read_timeout_seconds),
            body_read_timeout: std::time::Duration::from_secs(self.body_read_timeout_seconds),
            max_connections: self.max_connections,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RiskConfig {
    /// Days from one risk assessment until the next falls due.
    pub reassess_after_days: i64,
}

impl Default for RiskConfig {
    fn default() -> Self {
        Self {
            reassess_after_days: hearth_app::RiskSettings::default().reassess_after_days,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MaracConfig {
    /// Adult women (16 and over) in the area the MARAC covers; the dashboard shows cases per
    /// 10,000 of them. Left out, that figure is not shown.
    pub adult_female_population: Option<i64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExitReason {
    /// A short code kept in the records and reports; never change one that is in use.
    pub code: String,
    pub label: String,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            database_url: "hearth.db".into(),
            key_file: PathBuf::from("hearth.key"),
            listen: "127.0.0.1:8080".into(),
            secure_cookies: false,
            idle_timeout_minutes: 30,
            absolute_timeout_hours: 12,
            log: "info".into(),
            first_contact: Default::default(),
            caseload_capacity: 25,
            exit_reasons: Vec::new(),
            risk: RiskConfig::default(),
            marac: MaracConfig::default(),
            server: ServerConfig::default(),
        }
    }
}

impl Config {
    pub fn load(file: Option<&Path>) -> Result<Config> {
        let mut c = match file {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .with_context(|| format!("cannot read config file {}", p.display()))?;
                toml::from_str(&text)
                    .with_context(|| format!("config file {} is not valid", p.display()))?
            }
            None => Config::default(),
        };
        c.apply_env(|k| std::env::var(k).ok())?;
        c.check()?;
        Ok(c)
    }

    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> Result<()> {
        if let Some(v) = get("HEARTH_DATABASE_URL") {
            self.database_url = v;
        }
        if let Some(v) = get("HEARTH_KEY_FILE") {
            self.key_file = PathBuf::from(v);
        }
        if let Some(v) = get("HEARTH_LISTEN") {
            self.listen = v;
        }
        if let Some(v) = get("HEARTH_SECURE_COOKIES") {
            self.secure_cookies = matches!(v.as_str(), "1" | "true" | "yes");
        }
        if let Some(v) = get("HEARTH_IDLE_TIMEOUT_MINUTES") {
            self.idle_timeout_minutes = v
                .parse()
                .context("HEARTH_IDLE_TIMEOUT_MINUTES must be a whole number")?;
        }
        if let Some(v) = get("HEARTH_ABSOLUTE_TIMEOUT_HOURS") {
            self.absolute_timeout_hours = v
                .parse()
                .context("HEARTH_ABSOLUTE_TIMEOUT_HOURS must be a whole number")?;
        }
        if let Some(v) = get("HEARTH_LOG") {
            self.log = v;
        }
        Ok(())
    }

    fn check(&self) -> Result<()> {
        if !(1..=600).contains(&self.server.header_read_timeout_seconds)
            || !(1..=600).contains(&self.server.body_read_timeout_seconds)
        {
            bail!("[server] read timeouts must be between 1 and 600 seconds");
        }
        if !(1..=100_000).contains(&self.server.max_connections) {
            bail!("[server] max_connections must be between 1 and 100000");
        }
        if !(1..=24 * 60).contains(&self.idle_timeout_minutes) {
            bail!("idle_timeout_minutes must be between 1 and 1440");
        }
        for r in &self.exit_reasons {
            if r.code.trim().is_empty()
                || r.label.trim().is_empty()
                || r.code.contains(char::is_whitespace)
            {
                bail!("each exit reason needs a code without spaces and a label");
            }
        }
        if !(1..=500).contains(&self.caseload_capacity) {
            bail!("caseload_capacity must be between 1 and 500");
        }
        if !(1..=24).contains(&self.absolute_timeout_hours) {
            bail!("absolute_timeout_hours must be between 1 and 24");
        }
        if !(7..=365).contains(&self.risk.reassess_after_days) {
            bail!("[risk] reassess_after_days must be between 7 and 365");
        }
        if self.marac.adult_female_population.is_some_and(|p| p < 1) {
            bail!("[marac] adult_female_population must be a positive number of people");
        }
        Ok(())
    }

    /// Put the service's settings on the app.
    pub fn configure(&self, app: &mut hearth_app::App) {
        app.auth = self.auth();
        app.first_contact = self.first_contact;
        app.caseload_capacity = self.caseload_capacity;
        if !self.exit_reasons.is_empty() {
            app.exit_reasons = self
                .exit_reasons
                .iter()
                .map(|r| (r.code.clone(), r.label.clone()))
                .collect();
        }
        app.risk.reassess_after_days = self.risk.reassess_after_days;
        app.marac.adult_female_population = self.marac.adult_female_population;
    }

    pub fn auth(&self) -> hearth_app::AuthSettings {
        hearth_app::AuthSettings {
            idle_timeout: time::Duration::minutes(self.idle_timeout_minutes),
            absolute_timeout: time::Duration::hours(self.absolute_timeout_hours),
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_refused() {
        assert!(toml::from_str::<Config>("databse_url = \"x\"").is_err());
        let c: Config =
            toml::from_str("database_url = \"postgres://db/hearth\"\nidle_timeout_minutes = 15")
                .unwrap();
        assert_eq!(c.database_url, "postgres://db/hearth");
        assert_eq!(c.idle_timeout_minutes, 15);
        assert_eq!(c.absolute_timeout_hours, 12);
        assert_eq!(c.first_contact.high_risk_working_days, 1);
        let c: Config =
            toml::from_str("[first_contact]\nhigh_risk_working_days = 2\nother_working_days = 5")
                .unwrap();
        assert_eq!(c.first_contact.days_for(Some(20)), 2);
        assert_eq!(c.first_contact.days_for(Some(3)), 5);
        assert!(
            toml::from_str::<Config>("[first_contact]\nhigh_days = 2").is_err(),
            "misspelt keys are refused"
        );
    }

    #[test]
    fn the_example_file_is_valid() {
        let c: Config =
            toml::from_str(include_str!("../../../config/hearth.example.toml")).unwrap();
        assert!(c.check().is_ok());
    }

    #[test]
    fn risk_and_marac_settings_are_checked() {
        let c: Config = toml::from_str(
            "[risk]\nreassess_after_days = 28\n[marac]\nadult_female_population = 90000",
        )
        .unwrap();
        assert_eq!(c.risk.reassess_after_days, 28);
        assert_eq!(c.marac.adult_female_population, Some(90_000));
        assert!(c.check().is_ok());
        assert_eq!(Config::default().risk.reassess_after_days, 56);
        assert!(toml::from_str::<Config>("[risk]\nreasess_after_days = 28").is_err());
        let bad: Config = toml::from_str("[risk]\nreassess_after_days = 0").unwrap();
        assert!(bad.check().is_err());
        let bad: Config = toml::from_str("[marac]\nadult_female_population = -5").unwrap();
        assert!(bad.check().is_err());
    }

    #[test]
    fn environment_overrides_file() {
        let mut c = Config::default();
        c.apply_env(|k| match k {
            "HEARTH_DATABASE_URL" => Some("postgres://x/y".into()),
            "HEARTH_IDLE_TIMEOUT_MINUTES" => Some("10".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(c.database_url, "postgres://x/y");
        assert_eq!(c.idle_timeout_minutes, 10);
        assert!(c
            .apply_env(|k| (k == "HEARTH_IDLE_TIMEOUT_MINUTES").then(|| "ten".into()))
            .is_err());
    }

    #[test]
    fn exit_reasons_can_be_the_services_own() {
        let c: Config = toml::from_str(
            "[[exit_reasons]]\ncode = \"rehoused\"\nlabel = \"Rehoused out of area\"",
        )
        .unwrap();
        assert_eq!(c.exit_reasons[0].label, "Rehoused out of area");
        assert!(
            toml::from_str::<Config>("[[exit_reasons]]\ncode = \"x\"\nwording = \"y\"").is_err()
        );
        let bad = Config {
            exit_reasons: vec![ExitReason {
                code: "has space".into(),
                label: "x".into(),
            }],
            ..Config::default()
        };
        assert!(bad.check().is_err());
    }
}

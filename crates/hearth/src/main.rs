//! The `hearth` command: run the server or the demo, migrate, manage accounts and tokens,
//! and verify the audit trail.

mod config;

use anyhow::{anyhow, bail, Context, Result};
use clap::{Parser, Subcommand};
use config::Config;
use hearth_app::users::{By, NewUserForm};
use hearth_app::{demo, generate, records, tokens, users, App, AppError};
use hearth_domain::SystemClock;
use hearth_store::audit::Verification;
use hearth_store::{orgs, MasterKey, Store};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use uuid::Uuid;

#[derive(Parser)]
#[command(
    name = "hearth",
    version,
    about = "Case management for a holistic domestic abuse service"
)]
struct Cli {
    /// A TOML configuration file; HEARTH_* environment variables override it.
    #[arg(long, global = true, env = "HEARTH_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run Hearth against the configured database.
    Serve,
    /// Create (if missing) and serve a demo service full of fictional families.
    Demo {
        /// A SQLite file, or a `postgres://` URL to try Hearth on a real database.
        #[arg(long, default_value = "hearth-demo.db")]
        database: String,
        /// The key file; by default beside a SQLite file, or `hearth-demo.key` for PostgreSQL.
        #[arg(long)]
        key_file: Option<PathBuf>,
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        #[arg(long, default_value_t = 300)]
        families: usize,
    },
    /// Fill a new database with a synthetic data set for benchmarks (national scale by default).
    Generate {
        /// A SQLite file, or a `postgres://` URL of an empty database.
        #[arg(long)]
        database: String,
        /// The key file; by default beside a SQLite file, or `hearth-generated.key`.
        #[arg(long)]
        key_file: Option<PathBuf>,
        #[arg(long, default_value_t = 50)]
        organisations: usize,
        /// Cases across all organisations (about 3.3 people each).
        #[arg(long, default_value_t = 300_000)]
        cases: usize,
        /// Timeline entries per case, on average.
        #[arg(long, default_value_t = 33)]
        entries_per_case: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Organisations (services) and their teams.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Staff accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// API tokens for partner systems.
    #[command(subcommand)]
    Token(TokenCommand),
    /// The audit trail.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Questionnaires: risk checklists, outcome measures, evaluation forms.
    #[command(subcommand)]
    Instrument(InstrumentCommand),
    /// The programme catalogue: the programmes a service offers.
    #[command(subcommand)]
    Programmes(ProgrammesCommand),
    /// Print the access policy as a table.
    Policy,
}

#[derive(Subcommand)]
enum InstrumentCommand {
    /// Load a new version of an instrument from a TOML definition file. A bad file is refused
    /// with its line and problem, and the version in use stays.
    Load {
        file: PathBuf,
        #[arg(long)]
        org: Option<String>,
    },
    /// List every version of every instrument.
    List {
        #[arg(long)]
        org: Option<String>,
    },
}

#[derive(Subcommand)]
enum ProgrammesCommand {
    /// Load a new version of the catalogue from a TOML file (format in
    /// docs/programme-catalogue.md). A bad file is refused with its line and problem, and the
    /// version in use stays.
    Load {
        file: PathBuf,
        #[arg(long)]
        org: Option<String>,
    },
    /// List the programmes in the catalogue in use, and every version loaded.
    List {
        #[arg(long)]
        org: Option<String>,
    },
}

#[derive(Subcommand)]
enum OrgCommand {
    /// Create an organisation.
    Create {
        #[arg(long)]
        name: String,
        /// A short name used on the command line, e.g. `northshire`.
        #[arg(long)]
        slug: String,
    },
    List,
    /// Give an organisation a new data key: every sealed value is sealed again under it and the
    /// search index rebuilt, in one transaction. For when its data key may have been exposed, or
    /// as a routine; it does not help if the key file was. Writes wait while it runs.
    RotateKey {
        /// The organisation's slug; may be left out when there is only one.
        #[arg(long)]
        org: Option<String>,
    },
    /// Add a team to an organisation.
    AddTeam {
        #[arg(long)]
        org: Option<String>,
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a staff account; prints its temporary password.
    Add {
        #[arg(long)]
        org: Option<String>,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// A role code, e.g. administrator, team_manager, case_worker.
        #[arg(long)]
        role: String,
        /// The team's name.
        #[arg(long)]
        team: Option<String>,
    },
    Disable {
        #[arg(long)]
        org: Option<String>,
        #[arg(long)]
        email: String,
    },
    /// Give an account a new temporary password and end its sessions.
    ResetPassword {
        #[arg(long)]
        org: Option<String>,
        #[arg(long)]
        email: String,
    },
    /// Remove an account's authenticator app (lost phone).
    ResetSecondFactor {
        #[arg(long)]
        org: Option<String>,
        #[arg(long)]
        email: String,
    },
    List {
        #[arg(long)]
        org: Option<String>,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a token acting as a staff account; prints it once.
    Create {
        #[arg(long)]
        org: Option<String>,
        /// The account the token acts as.
        #[arg(long)]
        email: String,
        /// What the token is for.
        #[arg(long)]
        name: String,
    },
    Revoke {
        #[arg(long)]
        org: Option<String>,
        #[arg(long)]
        id: Uuid,
    },
    List {
        #[arg(long)]
        org: Option<String>,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check every entry of the audit chain; exits non-zero at the first broken entry.
    Verify,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(filter: &str) {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_new(filter).unwrap_or_else(|_| "info".into()),
        )
        .with_target(false)
        .try_init();
}

/// Whether a command may make a new key file when none exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NewKey {
    /// `serve`, `demo` and `migrate`, which may be the first run on a new database.
    MayCreate,
    /// Every other command: a missing key is an error that names the file looked for.
    MustExist,
}

/// Open the database with its key. A missing key file is made only by a command that may start
/// a new database, and only kept if the database turns out to be new; an existing database with
/// a different key is refused by the store.
async fn open(database_url: &str, key_file: &Path, new_key: NewKey) -> Result<App> {
    let created = !key_file.exists();
    let key = if !created {
        MasterKey::load(key_file)?
    } else if new_key == NewKey::MayCreate {
        MasterKey::create_file(key_file)?
    } else {
        bail!(
            "there is no key file at {}: point key_file (or HEARTH_KEY_FILE) at the key this database was created with",
            key_file.display()
        );
    };
    let opened = async {
        let store = Store::connect(database_url, key)
            .await
            .context("cannot connect to the database")?;
        store.migrate().await?;
        anyhow::Ok(store)
    }
    .await;
    let store = match opened {
        Ok(s) => s,
        Err(e) => {
            if created {
                // The key was made for a database that turned out not to be new (or could not
                // be reached): it belongs to nothing, so it must not be left lying about.
                let _ = std::fs::remove_file(key_file);
            }
            return Err(e);
        }
    };
    if created {
        eprintln!(
            "Created a new key file at {}. Back it up separately from the database: without it, encrypted fields cannot be read.",
            key_file.display()
        );
    }
    let app = App::new(store, Arc::new(SystemClock), Default::default());
    // Services created before an instrument shipped get it now; loaded versions are untouched.
    hearth_app::instruments::install_shipped_everywhere(&app)
        .await
        .map_err(app_err)?;
    // Likewise the programme catalogue, for services made before programmes existed.
    hearth_app::programmes::install_shipped_catalogue_everywhere(&app)
        .await
        .map_err(app_err)?;
    Ok(app)
}

async fn resolve_org(app: &App, slug: Option<&str>) -> Result<orgs::Organisation> {
    use hearth_app::orgs::Which;
    match hearth_app::orgs::which(app, slug).await.map_err(app_err)? {
        Which::Found(o) => Ok(o),
        Which::NoSuchSlug => bail!("no organisation with slug {}", slug.unwrap_or_default()),
        Which::NoneYet => {
            bail!("there is no organisation yet: create one with `hearth org create`")
        }
        Which::Several => bail!("there are several organisations: say which with --org"),
    }
}

fn app_err(e: AppError) -> anyhow::Error {
    match e {
        AppError::Invalid(i) => anyhow!("{i}"),
        AppError::NotFound => anyhow!("not found"),
        other => anyhow!("{other}"),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// Work out cases' next due while the server runs, a batch at a time, resting while none are
/// unknown (see `hearth_app::next_due`).
async fn keep_working_out(app: App) {
    use hearth_app::next_due::{check_rules, work_out};
    if let Err(e) = check_rules(&app).await {
        tracing::warn!(error = %e, "could not check the rules cases' next due were worked out by");
    }
    loop {
        match work_out(&app, 200, false).await {
            Ok(0) => tokio::time::sleep(std::time::Duration::from_secs(2)).await,
            Ok(n) => tracing::debug!(cases = n, "worked out cases' next due"),
            Err(e) => {
                tracing::warn!(error = %e, "working out cases' next due failed; trying again shortly");
                tokio::time::sleep(std::time::Duration::from_secs(10)).await;
            }
        }
    }
}

async fn serve(
    app: App,
    listen: &str,
    demo: bool,
    secure_cookies: bool,
    limits: hearth_web::ServeLimits,
) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let state = hearth_web::AppState {
        app: app.clone(),
        demo,
        secure_cookies,
    };
    // Cases' next due is worked out beside the requests; lists are right without it, faster with.
    let working_out = tokio::spawn(keep_working_out(app.clone()));
    tracing::info!(address = %listen, backend = app.store.backend().name(), "Hearth is serving");
    hearth_web::serve(listener, state, limits, shutdown_signal()).await?;
    working_out.abort();
    app.store.close().await;
    Ok(())
}

async fn run(cli: Cli) -> Result<ExitCode> {
    let config = Config::load(cli.config.as_deref())?;
    init_logging(&config.log);
    match cli.command {
        Command::Policy => {
            print!("{}", hearth_domain::access::policy_markdown());
        }
        Command::Serve => {
            let mut app = open(&config.database_url, &config.key_file, NewKey::MayCreate).await?;
            config.configure(&mut app);
            serve(
                app,
                &config.listen,
                false,
                config.secure_cookies,
                config.server.limits(),
            )
            .await?;
        }
        Command::Demo {
            database,
            key_file,
            listen,
            families,
        } => {
            let postgres =
                database.starts_with("postgres://") || database.starts_with("postgresql://");
            let key_file = match key_file {
                Some(k) => k,
                None if postgres => PathBuf::from("hearth-demo.key"),
                None => Path::new(&database).with_extension("key"),
            };
            if !postgres && !Path::new(&database).exists() && key_file.exists() {
                // A key left from an earlier demo whose database was deleted belongs to nothing.
                std::fs::remove_file(&key_file)?;
            }
            let mut app = open(&database, &key_file, NewKey::MayCreate).await?;
            config.configure(&mut app);
            let has_demo = {
                let mut conn = app.store.conn().await?;
                orgs::by_slug(&mut conn, "demo").await?.is_some()
            };
            if !has_demo {
                println!("Creating the demo service with {families} fictional families…");
                let summary = demo::seed(&app, families).await.map_err(app_err)?;
                println!(
                    "Created {} staff accounts and {} families.",
                    summary.accounts.len(),
                    summary.families
                );
            }
            println!();
            println!("Hearth demo: http://{listen}");
            println!(
                "Sign in as idva@{} (or any account listed on the sign-in page)",
                demo::DEMO_DOMAIN
            );
            println!("Password for every demo account: {}", demo::DEMO_PASSWORD);
            println!("Everything in the demo is fictional. Press Ctrl+C to stop.");
            serve(app, &listen, true, false, config.server.limits()).await?;
        }
        Command::Generate {
            database,
            key_file,
            organisations,
            cases,
            entries_per_case,
            seed,
        } => {
            let postgres =
                database.starts_with("postgres://") || database.starts_with("postgresql://");
            let key_file = match key_file {
                Some(k) => k,
                None if postgres => PathBuf::from("hearth-generated.key"),
                None => Path::new(&database).with_extension("key"),
            };
            let app = open(&database, &key_file, NewKey::MayCreate).await?;
            let empty = {
                let mut conn = app.store.conn().await?;
                orgs::list(&mut conn).await?.is_empty()
            };
            if !empty {
                bail!("{database} already holds organisations: generate into a new database");
            }
            let scale = generate::Scale {
                organisations,
                cases,
                entries_per_case,
                seed,
            };
            let started = app.now();
            let made = generate::generate(&app, &scale, |line| println!("{line}"))
                .await
                .map_err(app_err)?;
            println!(
                "Generated {} organisations, {} staff, {} cases, {} people, {} timeline entries, {} risk assessments, {} incidents, {} MARAC meetings, {} MARAC referrals with {} actions, and {} audit entries in {:.0} s.",
                made.organisations,
                made.staff,
                made.cases,
                made.people,
                made.entries,
                made.assessments,
                made.incidents,
                made.marac_meetings,
                made.marac_referrals,
                made.marac_actions,
                made.audit_entries,
                (app.now() - started).as_seconds_f64()
            );
            println!(
                "Sign in as {} (or {}, {}); password: {}",
                made.idva_email,
                made.team_manager_email,
                made.service_manager_email,
                generate::PASSWORD
            );
        }
        Command::Instrument(cmd) => {
            let app = open(&config.database_url, &config.key_file, NewKey::MustExist).await?;
            match cmd {
                InstrumentCommand::Load { file, org } => {
                    let org = resolve_org(&app, org.as_deref()).await?;
                    let src = std::fs::read_to_string(&file)
                        .with_context(|| format!("cannot read {}", file.display()))?;
                    let name = file
                        .file_name()
                        .map(|n| n.to_string_lossy().to_string())
                        .unwrap_or_default();
                    let def = hearth_app::instruments::load(
                        &app,
                        By::Command { org_id: org.id },
                        &name,
                        &src,
                    )
                    .await
                    .map_err(app_err)?;
                    println!(
                        "Loaded {} version {} ({}) for {}.",
                        def.key, def.version, def.title, org.name
                    );
                }
                InstrumentCommand::List { org } => {
                    let org = resolve_org(&app, org.as_deref()).await?;
                    for l in hearth_app::instruments::list(&app, By::Command { org_id: org.id })
                        .await
                        .map_err(app_err)?
                    {
                        println!(
                            "{}\tversion {}\t{}\t{}\t{}{}",
                            l.key,
                            l.version,
                            l.kind,
                            l.title,
                            l.source,
                            if l.current { "\tin use" } else { "" }
                        );
                    }
                }
            }
        }
        Command::Programmes(cmd) => {
            let app = open(&config.database_url, &config.key_file, NewKey::MustExist).await?;
            programmes_command(&app, cmd).await?;
        }
        Command::Migrate => {
            let app = open(&config.database_url, &config.key_file, NewKey::MayCreate).await?;
            println!(
                "Database is at schema version {} ({}).",
                hearth_store::migrate::latest_version(),
                app.store.backend().name()
            );
        }
        Command::Org(cmd) => {
            let app = open(&config.database_url, &config.key_file, NewKey::MustExist).await?;
            match cmd {
                OrgCommand::Create { name, slug } => {
                    let org = hearth_app::orgs::create(&app, &name, &slug).await?;
                    println!(
                        "Created organisation {} ({}), id {}",
                        org.name, org.slug, org.id
                    );
                }
                OrgCommand::List => {
                    for o in hearth_app::orgs::list(&app).await? {
                        println!(
                            "{}\t{}\t{}{}",
                            o.slug,
                            o.id,
                            o.name,
                            if o.is_demo { "\t(demo)" } else { "" }
                        );
                    }
                }
                OrgCommand::RotateKey { org } => {
                    let org = resolve_org(&app, org.as_deref()).await?;
                    let done = hearth_app::orgs::rotate_key(&app, org.id).await?;
                    println!(
                        "Rotated the data key of {}: {} sealed values sealed again, {} people indexed again",
                        org.name, done.values, done.people_indexed
                    );
                }
                OrgCommand::AddTeam { org, name } => {
                    let org = resolve_org(&app, org.as_deref()).await?;
                    let team = hearth_app::orgs::add_team(&app, org.id, &name).await?;
                    println!("Added team {} to {}, id {}", team.name, org.name, team.id);
                }
            }
        }
        Command::User(cmd) => {
            let app = open(&config.database_url, &config.key_file, NewKey::MustExist).await?;
            match cmd {
                UserCommand::Add {
                    org,
                    email,
                    name,
                    role,
                    team,
                } => {
                    let org = resolve_org(&app, org.as_deref()).await?;
                    let team_id = match team {
                        Some(t) => {
                            let mut conn = app.store.conn().await?;
                            let teams = orgs::teams(&mut conn, org.id).await?;
                            teams
                                .iter()
                                .find(|x| x.name.eq_ignore_ascii_case(t.trim()))
                                .map(|x| x.id.to_string())
                                .ok_or_else(|| anyhow!("no team called {t} in {}", org.name))?
                        }
                        None => String::new(),
                    };
                    let form = NewUserForm {
                        email,
                        display_name: name,
                        role,
                        team_id,
                        password: String::new(),
                    };
                    let added = users::add(&app, By::Command { org_id: org.id }, &form)
                        .await
                        .map_err(app_err)?;
                    println!(
                        "Added {} <{}> as {}.",
                        added.user.display_name,
                        added.user.email,
                        added.user.role.label()
                    );
                    println!("Temporary password (give it to them safely; they change it at first sign-in):");
                    println!("{}", added.temporary_password.unwrap_or_default());
                }
                UserCommand::Disable { org, email } => {
                    let org = resolve_org(&app, org.as_deref()).await?;
                    let u = users::by_email(&app, org.id, &email)
                        .await
                        .map_err(app_err)?;
                    users::disable(&app, By::Command { org_id: org.id }, u.id)
                        .await
                        .map_err(app_err)?;
                    println!("Disabled {}; their sessions have ended.", u.email);
                }
                UserCommand::ResetPassword { org, email } => {
                    let org = resolve_org(&app, org.as_deref()).await?;
                    let u = users::by_email(&app, org.id, &email)
                        .await
                        .map_err(app_err)?;
                    let temp = users::reset_password(&app, By::Command { org_id: org.id }, u.id)
                        .await
                        .map_err(app_err)?;
                    println!(
                        "New temporary password for {} (their sessions have ended):",
                        u.email
                    );
                    println!("{temp}");
                }
                UserCommand::ResetSecondFactor { org, email } => {
                    let org = resolve_org(&app, org.as_deref()).await?;
                    let u = users::by_email(&app, org.id, &email)
                        .await
                        .map_err(app_err)?;
                    users::reset_second_factor(&app, By::Command { org_id: org.id }, u.id)
                        .await
                        .map_err(app_err)?;
                    println!("Removed the authenticator app of {}; they set up a new one at next sign-in.", u.email);
                }
                UserCommand::List { org } => {
                    let org = resolve_org(&app, org.as_deref()).await?;
                    for u in users::list(&app, By::Command { org_id: org.id })
                        .await
                        .map_err(app_err)?
                    {
                        let status = if u.is_disabled() {
                            "disabled"
                        } else {
                            "active"
                        };
                        println!(
                            "{}\t{}\t{}\t{}",
                            u.email,
                            u.role.code(),
                            status,
                            u.display_name
                        );
                    }
                }
            }
        }
        Command::Token(cmd) => {
            let app = open(&config.database_url, &config.key_file, NewKey::MustExist).await?;
            match cmd {
                TokenCommand::Create { org, email, name } => {
                    let org = resolve_org(&app, org.as_deref()).await?;
                    let u = users::by_email(&app, org.id, &email)
                        .await
                        .map_err(app_err)?;
                    let created = tokens::create(&app, By::Command { org_id: org.id }, u.id, &name)
                        .await
                        .map_err(app_err)?;
                    println!(
                        "Token {} acts as {}. Copy it now; it is not shown again:",
                        created.id, u.email
                    );
                    println!("{}", created.secret);
                }
                TokenCommand::Revoke { org, id } => {
                    let org = resolve_org(&app, org.as_deref()).await?;
                    tokens::revoke(&app, By::Command { org_id: org.id }, id)
                        .await
                        .map_err(app_err)?;
                    println!("Revoked token {id}.");
                }
                TokenCommand::List { org } => {
                    let org = resolve_org(&app, org.as_deref()).await?;
                    for t in tokens::list(&app, By::Command { org_id: org.id })
                        .await
                        .map_err(app_err)?
                    {
                        let status = if t.revoked_at.is_some() {
                            "revoked"
                        } else {
                            "active"
                        };
                        println!("{}\t{}\t{}", t.id, status, t.name);
                    }
                }
            }
        }
        Command::Audit(AuditCommand::Verify) => {
            let app = open(&config.database_url, &config.key_file, NewKey::MustExist).await?;
            match records::verify_audit(&app).await.map_err(app_err)? {
                Verification::Intact { entries } => {
                    println!("Audit trail intact: {entries} entries checked.")
                }
                Verification::Broken(b) => {
                    println!("Audit trail BROKEN at entry {}: {}", b.seq, b.reason);
                    return Ok(ExitCode::from(2));
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn programmes_command(app: &App, cmd: ProgrammesCommand) -> anyhow::Result<()> {
    use hearth_app::programmes::{catalogue_page, load};
    match cmd {
        ProgrammesCommand::Load { file, org } => {
            let org = resolve_org(app, org.as_deref()).await?;
            let src = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            let version = load(app, By::Command { org_id: org.id }, &name, &src)
                .await
                .map_err(app_err)?;
            println!(
                "Loaded programme catalogue version {version} for {}.",
                org.name
            );
        }
        ProgrammesCommand::List { org } => {
            let org = resolve_org(app, org.as_deref()).await?;
            let page = catalogue_page(app, By::Command { org_id: org.id })
                .await
                .map_err(app_err)?;
            println!("In use: version {}", page.current_version);
            for p in &page.current.programmes {
                println!(
                    "{}\tversion {}\t{}\t{} places{}",
                    p.key,
                    p.version,
                    p.name,
                    p.places,
                    if p.retired { "\tretired" } else { "" }
                );
            }
            for v in &page.versions {
                println!("version {}\t{}", v.version, v.source);
            }
        }
    }
    Ok(())
}

use std::process::ExitCode;

use server::{config::Config, db, startup::Application, telemetry};

/// Rendering a page allocates and frees many small strings across threads; glibc's allocator
/// spent about a third of the server's CPU time on it under load, mimalloc a fraction of that.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USAGE: &str = "usage: server [serve | worker | jobs ... | migrate | seed-demo | import-django-users FILE]
  serve                     apply migrations (with OPS_MIGRATION_DATABASE_URL) and serve HTTP (the default),
                            running background jobs too unless OPS_JOBS_IN_SERVE=0
  worker                    run background jobs only, until SIGTERM
  jobs list [STATE]         jobs by kind and state, then the latest in STATE (queued, running, dead
                            or done; dead by default)
  jobs retry ID... | dead   queue dead jobs again with fresh attempts: those named, or every one
  migrate                   apply database migrations and exit
  seed-demo                 load the demo organisation once (development only) and print its sign-in
  generate ORGS ISSUES      add synthetic organisations and issues for benchmarks (development only)
  import-django-users FILE  import accounts from a CSV export of Django's auth_user table
  staff grant|revoke EMAIL  make an account Ops Intel staff (the operator pages at /staff, which
                            also need its two-factor sign-in), or stop it; needs the owner's
                            connection (OPS_MIGRATION_DATABASE_URL)
  ai eval [FILE]            triage the evaluation set (server/ai-eval/triage.json, or FILE) with the
                            configured Anthropic endpoint and print the agreement; stores nothing
Configuration comes from environment variables; see .env.example.";

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = args.first().cloned().unwrap_or_else(|| "serve".into());
    let file = args.get(1).cloned();
    let extra = args.get(2).cloned();
    let jobs_command = match args.iter().skip(1).map(String::as_str).collect::<Vec<_>>()[..] {
        ["list"] => Some(JobsCommand::List("dead".into())),
        ["list", state] if server::jobs::admin::STATES.contains(&state) => {
            Some(JobsCommand::List(state.into()))
        }
        ["retry", "dead"] => Some(JobsCommand::Retry(server::jobs::admin::Retry::AllDead)),
        ["retry", ref ids @ ..] if !ids.is_empty() => ids
            .iter()
            .map(|id| id.trim_start_matches('#').parse::<i64>().ok())
            .collect::<Option<Vec<_>>>()
            .map(|ids| JobsCommand::Retry(server::jobs::admin::Retry::Ids(ids))),
        _ => None,
    };
    let valid = match command.as_str() {
        "serve" | "worker" | "migrate" | "seed-demo" => args.len() <= 1,
        "import-django-users" => args.len() == 2,
        "generate" => args.len() == 3,
        "jobs" => jobs_command.is_some(),
        "staff" => {
            matches!(args.get(1).map(String::as_str), Some("grant" | "revoke")) && args.len() == 3
        }
        "ai" => matches!(args.get(1).map(String::as_str), Some("eval")) && args.len() <= 3,
        _ => false,
    };
    if !valid {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    }
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(errors) => {
            eprintln!("{errors}");
            return ExitCode::from(78); // EX_CONFIG
        }
    };
    telemetry::init(config.log_format);
    let config = match server::standins::attach(config).await {
        Ok(config) => config,
        Err(e) => {
            tracing::error!(error = %e, "the development stand-ins could not start");
            return ExitCode::FAILURE;
        }
    };

    let result = match command.as_str() {
        "migrate" => migrate(&config).await,
        "worker" => worker(&config).await,
        "jobs" => jobs(&config, jobs_command.expect("checked above")).await,
        "staff" => {
            staff(
                &config,
                file.as_deref(),
                extra.as_deref().unwrap_or_default(),
            )
            .await
        }
        "seed-demo" => seed_demo(&config).await,
        "generate" => generate(&config, file.as_deref(), extra.as_deref()).await,
        "import-django-users" => import(&config, file.as_deref().unwrap_or_default()).await,
        "ai" => ai_eval(&config, extra.as_deref()).await,
        _ => serve(config).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "stopped");
            ExitCode::FAILURE
        }
    }
}

enum JobsCommand {
    List(String),
    Retry(server::jobs::admin::Retry),
}

/// Background jobs alone, for operators who run them apart from the web servers.
async fn worker(config: &Config) -> Result<(), Box<dyn std::error::Error>> {
    let config = &config.clone().with_server_key();
    db::migrate(&config.database).await?;
    let pool = db::pool(&config.database)?;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let stop = tokio_util::sync::CancellationToken::new();
    let runner = server::startup::job_runner(config, pool);
    let running = tokio::spawn(runner.run(stop.clone()));
    shutdown_signal().await;
    stop.cancel();
    running.await?;
    Ok(())
}

async fn jobs(config: &Config, command: JobsCommand) -> Result<(), Box<dyn std::error::Error>> {
    let pool = db::pool(&config.database)?;
    match command {
        JobsCommand::List(state) => {
            let counts = server::jobs::admin::counts(&pool).await?;
            let rows = server::jobs::admin::list(&pool, &state, 100).await?;
            print!("{}", server::jobs::admin::render(&counts, &rows, &state));
        }
        JobsCommand::Retry(which) => {
            let n = server::jobs::admin::retry(&pool, which).await?;
            println!("{n} dead job(s) queued again");
        }
    }
    Ok(())
}

async fn staff(
    config: &Config,
    change: Option<&str>,
    email: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let change = match change {
        Some("grant") => server::staff::Change::Grant,
        _ => server::staff::Change::Revoke,
    };
    let url = config
        .database
        .migration_url
        .as_ref()
        .ok_or(server::staff::StaffError::NoOwnerConnection)?;
    let owner = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(secrecy::ExposeSecret::expose_secret(url))
        .await?;
    println!("{}", server::staff::change(&owner, change, email).await?);
    owner.close().await;
    Ok(())
}

async fn migrate(config: &Config) -> Result<(), Box<dyn std::error::Error>> {
    if !db::migrate(&config.database).await? {
        return Err(
            "set OPS_MIGRATION_DATABASE_URL to the owner's connection to apply migrations".into(),
        );
    }
    tracing::info!("migrations applied");
    Ok(())
}

async fn seed_demo(config: &Config) -> Result<(), Box<dyn std::error::Error>> {
    // An Owner with a published password belongs on a developer's machine and nowhere else.
    if config.environment != server::config::Environment::Development {
        return Err(server::demo::DemoError::Production.into());
    }
    let pool = db::pool(&config.database)?;
    if server::demo::load(&pool, config.anthropic.is_some()).await? {
        tracing::info!("demo organisation loaded");
    }
    println!(
        "Demo sign-in: {} / {}  (organisation /o/{})",
        server::demo::EMAIL,
        server::demo::PASSWORD,
        server::demo::SLUG
    );
    Ok(())
}

async fn generate(
    config: &Config,
    orgs: Option<&str>,
    issues: Option<&str>,
) -> Result<(), Box<dyn std::error::Error>> {
    if config.environment != server::config::Environment::Development {
        return Err("synthetic data is for development only".into());
    }
    let count = |v: Option<&str>, what: &str| {
        v.and_then(|v| v.replace('_', "").parse::<u64>().ok())
            .filter(|n| *n > 0)
            .ok_or_else(|| format!("{what} must be a positive whole number"))
    };
    let (orgs, issues) = (count(orgs, "ORGS")?, count(issues, "ISSUES")?);
    let pool = db::pool(&config.database)?;
    let started = std::time::Instant::now();
    let done = server::synthetic::generate(&pool, orgs, issues).await?;
    println!(
        "added {} organisation(s) and {} issue(s) in {:.1} s; benchmark sign-in: {} / {} (organisation /o/{})",
        done.organisations,
        done.issues,
        started.elapsed().as_secs_f64(),
        server::synthetic::EMAIL,
        server::synthetic::PASSWORD,
        server::synthetic::LARGE_SLUG
    );
    Ok(())
}

async fn import(config: &Config, path: &str) -> Result<(), Box<dyn std::error::Error>> {
    db::migrate(&config.database).await?;
    let pool = db::pool(&config.database)?;
    let file = std::fs::File::open(path).map_err(|e| format!("cannot open {path}: {e}"))?;
    let report = server::import::import_django_users(&pool, std::io::BufReader::new(file)).await?;
    for (line, reason) in &report.skipped {
        eprintln!("line {line}: skipped: {reason}");
    }
    println!(
        "imported {} account(s), skipped {}",
        report.imported,
        report.skipped.len()
    );
    Ok(())
}

async fn ai_eval(config: &Config, path: Option<&str>) -> Result<(), Box<dyn std::error::Error>> {
    let anthropic = config
        .anthropic
        .clone()
        .ok_or("AI is not configured: set ANTHROPIC_API_KEY (and OPS_ANTHROPIC_BASE_URL for another endpoint)")?;
    let set = match path {
        Some(path) => {
            std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?
        }
        None => server::ai::eval::SET.to_string(),
    };
    let cases = server::ai::eval::parse(&set)?;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = server::ai::client::Anthropic::new(anthropic);
    print!("{}", server::ai::eval::run(&client, &cases).await);
    Ok(())
}

async fn serve(config: Config) -> Result<(), Box<dyn std::error::Error>> {
    let scheme = if config.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let environment = config.environment;
    let app = Application::build(config).await?;
    tracing::info!(?environment, "listening on {scheme}://{}", app.local_addr());
    app.run_until(shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on SIGTERM (what orchestrators send) or Ctrl-C.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! { () = ctrl_c => {}, () = term => {} }
}

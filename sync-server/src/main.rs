//! `rapport-relay`: configuration, logging, the listener and graceful shutdown. Everything else lives in
//! the library so tests exercise the same router.

use anyhow::Context;
use clap::Parser;
use rapport_sync_server::inbound::Inbound;
use rapport_sync_server::mail::Mailer;
use rapport_sync_server::push::Pusher;
use rapport_sync_server::{
    AppAssets, AppState, Config, DemoWorkspace, LogFormat, Store, router, serve,
};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    init_tracing(config.log_format);

    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating the data folder {}", config.data_dir.display()))?;
    let store = Store::open(&config.data_dir)
        .with_context(|| format!("opening the database in {}", config.data_dir.display()))?;
    let assets = AppAssets::new(&config.dist);
    if !assets.is_built() {
        tracing::warn!(dist = %config.dist.display(), "the web app is not built; serving the API only");
    }

    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("binding {}", config.listen))?;
    let address = listener.local_addr().context("reading the bound address")?;
    // The one line on stdout: scripts and the test harness read the address from it.
    #[allow(clippy::print_stdout)]
    {
        println!("Rapport relay listening on http://{address}");
    }
    tracing::info!(%address, dist = %config.dist.display(), data = %config.data_dir.display(), "relay started");

    let demo = if config.demo {
        let parties = config.demo_parties;
        DemoWorkspace::start(
            &config.data_dir,
            rapport_core::demo::DemoSizes {
                parties,
                interactions: parties * 5,
                deals: parties / 5,
                tasks: parties / 2,
                tickets: config.demo_tickets.unwrap_or(parties / 20),
                contracts: config.demo_contracts.unwrap_or((parties / 100).max(4)),
                suppliers: config.demo_suppliers.unwrap_or((parties / 500).max(3)),
            },
        )
    } else {
        DemoWorkspace::off()
    };
    let limits = config.limits();
    let state = AppState::with_limits(assets, store, limits.clone())
        .with_demo(demo)
        .with_idle_timeout(std::time::Duration::from_secs(config.idle_timeout_secs))
        .with_public_origin(config.public_origin.clone())
        .with_tls(config.behind_tls)
        .with_metrics_token(config.metrics_token.clone());
    let mail = config
        .mail_settings(&format!("http://{address}"))
        .map_err(anyhow::Error::msg)?
        .map(|settings| {
            let from = settings.from.clone();
            let mailer = Mailer::new(settings).context("--smtp-url / --mail-from")?;
            tracing::info!(%from, "sending mail");
            anyhow::Ok(mailer)
        })
        .transpose()?;
    let push = match config.push_settings(&format!("http://{address}")) {
        Some(settings) => {
            let pusher =
                Pusher::load(&state.store, settings).await.context("push notifications")?;
            Some(pusher)
        }
        None => None,
    };
    let inbound = match (config.inbound_smtp, config.inbound_domain.as_deref().map(str::trim)) {
        (Some(at), Some(domain)) if !domain.is_empty() => {
            let listener = tokio::net::TcpListener::bind(at)
                .await
                .with_context(|| format!("binding --inbound-smtp {at}"))?;
            let bound = listener.local_addr().context("reading the SMTP address")?;
            tracing::info!(%bound, %domain, "receiving mail");
            let inbound = Inbound { domain: domain.to_ascii_lowercase().into() };
            Some((listener, inbound))
        }
        (Some(_), _) => anyhow::bail!("--inbound-smtp needs --inbound-domain"),
        (None, _) => None,
    };
    let state = state
        .with_mail(mail)
        .with_push(push)
        .with_files(config.file_store())
        .with_inbound(inbound.as_ref().map(|(_, inbound)| inbound.clone()));
    state.start_services();
    if let Some((listener, inbound)) = inbound {
        tokio::spawn(rapport_sync_server::inbound::serve(state.clone(), listener, inbound));
    }
    tokio::spawn(purge_every(state.clone(), std::time::Duration::from_secs(600)));
    serve(listener, router(state), &limits, shutdown_signal()).await;
    tracing::info!("relay stopped");
    Ok(())
}

/// Deletes expired sessions, tickets and invitations now and every `period`.
async fn purge_every(state: AppState, period: std::time::Duration) {
    let mut ticks = tokio::time::interval(period);
    loop {
        ticks.tick().await;
        match state.purge_expired().await {
            Ok(purged) => tracing::debug!(?purged, "expired credentials purged"),
            Err(error) => tracing::warn!(%error, "purging expired credentials failed"),
        }
    }
}

fn init_tracing(format: LogFormat) {
    let filter = EnvFilter::try_from_env("RAPPORT_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,tower_http=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM, whichever comes first.
async fn shutdown_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => tracing::info!("SIGINT received, shutting down"),
        () = terminate => tracing::info!("SIGTERM received, shutting down"),
    }
}

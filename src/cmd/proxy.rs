//! `golive proxy`: the fault-injecting reverse proxy, standalone.

use crate::cli::ProxyArgs;
use crate::exit::Exit;

use super::{Failure, refuse_url_credentials, usage};

/// Runs `golive proxy`.
pub(crate) async fn proxy(args: &ProxyArgs) -> Result<Exit, Failure> {
    refuse_url_credentials("--upstream", &args.upstream)?;
    let upstream: crate::proxy::Upstream = args
        .upstream
        .parse()
        .map_err(|e| usage(format!("--upstream {e}")))?;
    let plan = crate::proxy::load_plan(&args.plan).map_err(|e| usage(format!("--plan {e}")))?;
    crate::proxy::run_standalone(args.listen, upstream, plan, args.phase.clone())
        .await
        .map_err(|e| usage(format!("{e:#}")))?;
    Ok(Exit::Ready)
}

//! Fault injection: what a real Odoo (or the proxy in front of it) does on a bad day. Tests queue
//! one-off faults for the next requests; `truestock odoo-sim` flags set standing rates and latency.

use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// One fault, applied to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this HTTP status (a proxy's 502, a dying worker's 500) and a non-Odoo body.
    Status(u16),
    /// Start the answer, then drop the connection mid-body.
    Drop,
    /// Send only the first half of the body (with a matching length): unreadable JSON.
    Truncate,
    /// Answer with a body of this many bytes.
    Oversize(usize),
    /// JSON-RPC's code 100, "Odoo Session Expired".
    SessionExpired,
    /// A concurrent update: 19's `LockError` (HTTP 409 on JSON-2); before 19 a serialization
    /// failure that survived Odoo's own retries.
    Conflict,
}

#[derive(Debug)]
struct State {
    queue: VecDeque<Fault>,
    denied_models: HashSet<String>,
    latency: Duration,
    /// Extra delay for `search_read` pages (slow pages).
    page_latency: Duration,
    error_rate: f64,
    drop_rate: f64,
    rng: StdRng,
}

/// The simulator's fault settings.
#[derive(Debug)]
pub struct Faults(Mutex<State>);

impl Default for Faults {
    fn default() -> Self {
        Self(Mutex::new(State {
            queue: VecDeque::new(),
            denied_models: HashSet::new(),
            latency: Duration::ZERO,
            page_latency: Duration::ZERO,
            error_rate: 0.0,
            drop_rate: 0.0,
            rng: StdRng::seed_from_u64(7),
        }))
    }
}

impl Faults {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The next request (of any kind) gets `fault`; queued faults apply in order.
    pub fn queue(&self, fault: Fault) {
        self.state().queue.push_back(fault);
    }

    /// Every call on `model` is refused with Odoo's `AccessError`, as when no group gives access to it;
    /// asked about access (`check_access_rights`, `has_access`), it answers no.
    pub fn deny_model(&self, model: &str) {
        self.state().denied_models.insert(model.to_string());
    }

    pub fn allow_model(&self, model: &str) {
        self.state().denied_models.remove(model);
    }

    pub fn is_denied(&self, model: &str) -> bool {
        self.state().denied_models.contains(model)
    }

    /// Standing delay before every answer, and extra delay for `search_read` pages.
    pub fn set_latency(&self, every_request: Duration, per_page: Duration) {
        let mut state = self.state();
        state.latency = every_request;
        state.page_latency = per_page;
    }

    /// Standing shares of requests answered 502 and of connections dropped (0.0 to 1.0).
    pub fn set_rates(&self, error_rate: f64, drop_rate: f64) {
        let mut state = self.state();
        state.error_rate = error_rate.clamp(0.0, 1.0);
        state.drop_rate = drop_rate.clamp(0.0, 1.0);
    }

    /// The extra delay of a `search_read` page.
    pub fn page_delay(&self) -> Duration {
        self.state().page_latency
    }

    /// What happens to the request now starting: its delay, and its fault if any.
    pub fn next(&self) -> (Duration, Option<Fault>) {
        let mut state = self.state();
        let delay = state.latency;
        if let Some(fault) = state.queue.pop_front() {
            return (delay, Some(fault));
        }
        let (error_rate, drop_rate) = (state.error_rate, state.drop_rate);
        let roll: f64 = state.rng.random();
        let fault = if roll < error_rate {
            Some(Fault::Status(502))
        } else if roll < error_rate + drop_rate {
            Some(Fault::Drop)
        } else {
            None
        };
        (delay, fault)
    }
}

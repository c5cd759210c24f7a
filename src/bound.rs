//! The bound on a client's requests in flight (and so on its connections to
//! the endpoint): callers beyond it wait in order, without a timeout, until a
//! request ends; a stream holds its place until it ends. Ctrl-C and task
//! cancellation end a wait like any other (the waiting future is dropped).
//!
//! botocore's `max_pool_connections` sets it; the default follows the
//! process's file-descriptor limit, so that a batch of thousands of calls on
//! one client queues instead of opening more connections than the server
//! accepts or the process may hold.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The default bound when the file-descriptor limit is generous.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 1024;

/// A place among the requests in flight; released when dropped.
pub type Place = OwnedSemaphorePermit;

/// A client's bound on requests in flight.
#[derive(Debug, Clone)]
pub struct InFlight(Arc<Semaphore>);

impl InFlight {
    /// A bound of `limit` requests (`None`: [`default_limit`]).
    pub fn new(limit: Option<usize>) -> Self {
        let limit = limit
            .unwrap_or_else(default_limit)
            .clamp(1, Semaphore::MAX_PERMITS);
        Self(Arc::new(Semaphore::new(limit)))
    }

    /// Waits for a place, first come first served.
    pub async fn enter(&self) -> Place {
        // The semaphore is never closed, so acquiring only fails if it were.
        match self.0.clone().acquire_owned().await {
            Ok(place) => place,
            Err(_) => unreachable!("the in-flight semaphore is never closed"),
        }
    }
}

/// Half the soft file-descriptor limit (the rest is the program's), at most
/// [`DEFAULT_MAX_IN_FLIGHT`].
pub fn default_limit() -> usize {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes the struct it is given.
    let known = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0;
    if !known || limit.rlim_cur == libc::RLIM_INFINITY {
        return DEFAULT_MAX_IN_FLIGHT;
    }
    usize::try_from(limit.rlim_cur / 2)
        .unwrap_or(DEFAULT_MAX_IN_FLIGHT)
        .clamp(1, DEFAULT_MAX_IN_FLIGHT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_follows_the_descriptor_limit() {
        let limit = default_limit();
        assert!((1..=DEFAULT_MAX_IN_FLIGHT).contains(&limit));
    }

    #[tokio::test]
    async fn callers_beyond_the_bound_wait_in_order() {
        let bound = InFlight::new(Some(1));
        let first = bound.enter().await;
        let order = Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut waiting = Vec::new();
        for i in 0..3 {
            let (bound, order) = (bound.clone(), order.clone());
            waiting.push(tokio::spawn(async move {
                let _place = bound.enter().await;
                order.lock().unwrap().push(i);
            }));
            tokio::task::yield_now().await;
        }
        assert!(order.lock().unwrap().is_empty());
        drop(first);
        for task in waiting {
            task.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), vec![0, 1, 2]);
    }
}

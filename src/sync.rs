//! Two patterns shared state here needs: a lock that outlives a panicked
//! holder, and a value that belongs to the process that made it.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// `Mutex::lock` that takes the data even after a holder panicked: a panic
/// surfaces as a Python exception and the process goes on, so the state
/// must stay usable (every guarded value here is valid between statements).
pub trait LockUnpoisoned<T> {
    fn lock_unpoisoned(&self) -> MutexGuard<'_, T>;
}

impl<T> LockUnpoisoned<T> for Mutex<T> {
    fn lock_unpoisoned(&self) -> MutexGuard<'_, T> {
        self.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A value made in one process. After `fork()` the child makes its own: the
/// parent's is forgotten, not dropped, since the threads and sockets it
/// holds are the parent's and do not exist in the child.
pub struct ForkLocal<T> {
    pid: u32,
    value: T,
}

impl<T> ForkLocal<T> {
    pub fn new(value: T) -> Self {
        Self {
            pid: std::process::id(),
            value,
        }
    }

    /// This process's value: the one held, or in a forked child a new one
    /// from `make` (when `make` fails, the held one, and `make` runs again
    /// next time).
    pub fn current(&mut self, make: impl FnOnce() -> Option<T>) -> &mut T {
        let pid = std::process::id();
        if self.pid != pid {
            if let Some(fresh) = make() {
                std::mem::forget(std::mem::replace(&mut self.value, fresh));
                self.pid = pid;
            }
        }
        &mut self.value
    }
}

/// The value in `slot` for this process, made by `make` on first use and
/// again in a forked child.
pub fn current_in<T>(slot: &mut Option<ForkLocal<T>>, make: impl FnOnce() -> T) -> &mut T {
    match slot {
        Some(local) => local.current(|| Some(make())),
        None => &mut slot.insert(ForkLocal::new(make())).value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_poisoned_lock_still_hands_out_its_data() {
        let shared = std::sync::Arc::new(Mutex::new(1));
        let holder = shared.clone();
        let _ = std::thread::spawn(move || {
            let _guard = holder.lock().unwrap();
            panic!("holder panics");
        })
        .join();
        assert!(shared.is_poisoned());
        *shared.lock_unpoisoned() += 1;
        assert_eq!(*shared.lock_unpoisoned(), 2);
    }

    #[test]
    fn a_fork_local_is_made_once_per_process() {
        let mut slot = None;
        assert_eq!(*current_in(&mut slot, || 7), 7);
        assert_eq!(*current_in(&mut slot, || 8), 7);
        let local = slot.as_mut().unwrap();
        local.pid = local.pid.wrapping_add(1); // as if forked
        assert_eq!(*local.current(|| None), 7, "kept when remaking fails");
        assert_eq!(*local.current(|| Some(9)), 9);
        assert_eq!(*local.current(|| Some(10)), 9);
    }
}

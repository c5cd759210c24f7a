//! The read-ahead between the network and Python: a pump task per stream reads the SDK's
//! receiver into a bounded channel (applying the idle timeout), and Python takes every event
//! already there in one batch.
//!
//! A blocking reader waits on the channel (GIL released). An asyncio reader instead leaves an
//! asyncio future in the stream's [`Waiting`] slot, and the pump completes it after its next
//! send (or when it ends): no task and no wake-up of the runtime per event, only the loop's.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::failure::Failure;
use super::source::{tapped, Ahead, Item, Source};
use crate::aio::LoopFuture;
use crate::frames::FrameQueue;
use crate::sync::LockUnpoisoned;

/// Events buffered between the network and Python; the pump waits when full.
pub(super) const CHANNEL_CAPACITY: usize = 1024;

/// Reads events until the stream ends, fails, idles out or nobody listens.
///
/// The idle timer is armed once and only moved when it fires: a fresh timer
/// per event would cost a timer-wheel insert and removal for every delta.
pub(super) async fn pump(
    mut source: Source,
    frames: Option<FrameQueue>,
    ahead: Option<Box<Ahead>>,
    idle: Duration,
    tx: Sender,
) {
    if let Some(item) = ahead.map(|a| a.item) {
        let Some(item) = item else {
            return; // the stream had ended
        };
        let last = item.is_err();
        if tx.send(item).await.is_err() || last {
            return;
        }
    }
    let mut last_event = tokio::time::Instant::now();
    let timer = tokio::time::sleep_until(last_event + idle);
    tokio::pin!(timer);
    loop {
        // One `recv` future per event, kept while the timer is moved on.
        let recv = source.recv(frames.as_ref());
        tokio::pin!(recv);
        let item = loop {
            tokio::select! {
                // Stop reading as soon as the Python side is gone.
                _ = tx.closed() => return,
                received = &mut recv => break match received {
                    Ok(Some(event)) => Ok(event),
                    Ok(None) => return,
                    // The SDK fails on an error message; the tap kept what it said.
                    Err(failure) => Err(tapped(failure, frames.as_ref())),
                },
                () = &mut timer => {
                    let deadline = last_event + idle;
                    if tokio::time::Instant::now() < deadline {
                        timer.as_mut().reset(deadline);
                    } else {
                        break Err(Failure::Timeout);
                    }
                }
            }
        };
        let last = item.is_err();
        if tx.send(item).await.is_err() || last {
            return;
        }
        last_event = tokio::time::Instant::now();
    }
}

/// The asyncio futures waiting for the stream's next item: one, unless several tasks read
/// the same stream (or a cancelled reader's future is still there: completing it does nothing).
#[derive(Default)]
pub(super) struct Waiting(Mutex<Vec<LoopFuture>>);

impl Waiting {
    fn wake(&self) {
        let waiters = {
            let mut slot = self.0.lock_unpoisoned();
            if slot.is_empty() {
                return;
            }
            std::mem::take(&mut *slot)
        };
        for waiter in waiters {
            waiter.complete();
        }
    }
}

/// The pump's end of the channel: each send, and the end of the pump (however it ends,
/// aborted included), wakes the asyncio reader waiting, if any.
pub(super) struct Sender {
    tx: Option<mpsc::Sender<Item>>,
    waiting: Arc<Waiting>,
}

impl Sender {
    /// A channel for one stream, and the slot its asyncio reader waits in.
    pub(super) fn channel() -> (Self, mpsc::Receiver<Item>, Arc<Waiting>) {
        let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
        let waiting = Arc::new(Waiting::default());
        let tx = Sender {
            tx: Some(tx),
            waiting: waiting.clone(),
        };
        (tx, rx, waiting)
    }

    async fn send(&self, item: Item) -> Result<(), ()> {
        let tx = self.tx.as_ref().ok_or(())?;
        tx.send(item).await.map_err(drop)?;
        self.waiting.wake();
        Ok(())
    }

    async fn closed(&self) {
        if let Some(tx) = &self.tx {
            tx.closed().await;
        }
    }
}

impl Drop for Sender {
    fn drop(&mut self) {
        // Close the channel first, so the woken reader finds it ended, not merely empty.
        self.tx = None;
        self.waiting.wake();
    }
}

/// What an asyncio reader finds.
pub(super) enum Next {
    Item(Item),
    /// The stream is over (ended, failed earlier or closed).
    Ended,
    /// Nothing yet: the future given is registered and completes when that changes.
    Pending,
}

/// One stream's receiving end, shared by its Python object and the waits on it.
pub(super) struct State {
    receiver: tokio::sync::Mutex<mpsc::Receiver<Item>>,
    ready: Mutex<VecDeque<Item>>,
    waiting: Arc<Waiting>,
    pump: Mutex<Option<JoinHandle<()>>>,
    closed: AtomicBool,
}

impl State {
    pub(super) fn new(
        receiver: mpsc::Receiver<Item>,
        waiting: Arc<Waiting>,
        pump: JoinHandle<()>,
    ) -> Self {
        State {
            receiver: tokio::sync::Mutex::new(receiver),
            ready: Mutex::new(VecDeque::new()),
            waiting,
            pump: Mutex::new(Some(pump)),
            closed: AtomicBool::new(false),
        }
    }

    /// The next item without waiting, or else `waiter` registered to be completed when the
    /// pump sends one or ends. The item stays buffered until a reader takes it here, so a
    /// reader cancelled while it waited loses nothing.
    pub(super) fn next_or_register(&self, waiter: LoopFuture) -> Next {
        if self.is_closed() {
            return Next::Ended;
        }
        if let Some(item) = self.pop() {
            return Next::Item(item);
        }
        // Registering under the slot's lock, after draining: a send that the drain missed
        // wakes the slot only after this registration (the pump takes the same lock).
        let mut slot = self.waiting.0.lock_unpoisoned();
        let open = self.drain();
        if let Some(item) = self.pop() {
            return Next::Item(item);
        }
        if !open {
            return Next::Ended;
        }
        slot.push(waiter);
        Next::Pending
    }

    /// The next item already in the batch or the channel, without waiting.
    pub(super) fn take_now(&self) -> Option<Item> {
        self.pop().or_else(|| {
            self.drain();
            self.pop()
        })
    }

    /// Moves what the channel holds into the batch; false once the channel has ended and is
    /// empty. (A blocking reader holding the receiver is filling the batch itself.)
    fn drain(&self) -> bool {
        let Ok(mut receiver) = self.receiver.try_lock() else {
            return true;
        };
        let mut ready = self.ready.lock_unpoisoned();
        loop {
            match receiver.try_recv() {
                Ok(item) => ready.push_back(item),
                Err(mpsc::error::TryRecvError::Empty) => return true,
                Err(mpsc::error::TryRecvError::Disconnected) => return false,
            }
        }
    }

    pub(super) fn pop(&self) -> Option<Item> {
        self.ready.lock_unpoisoned().pop_front()
    }

    pub(super) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Waits for the next batch; false when the stream has ended.
    ///
    /// With `spin`, a blocked Python thread first polls the channel for that
    /// long before it sleeps: while a stream is flowing the next event is
    /// microseconds away, and sleeping then being woken for each small batch
    /// costs more than the events themselves (two context switches).
    pub(super) async fn fill(&self, spin: Duration) -> bool {
        let mut receiver = self.receiver.lock().await;
        let Some(first) = recv_spinning(&mut receiver, spin).await else {
            return false;
        };
        let mut ready = self.ready.lock_unpoisoned();
        ready.push_back(first);
        while let Ok(more) = receiver.try_recv() {
            ready.push_back(more);
        }
        true
    }

    pub(super) fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.waiting.wake();
        if let Some(pump) = self.pump.lock_unpoisoned().take() {
            pump.abort();
        }
        self.ready.lock_unpoisoned().clear();
        if let Ok(mut receiver) = self.receiver.try_lock() {
            receiver.close();
        }
    }
}

/// How long a Python thread waiting for events polls before it sleeps.
pub(super) const SPIN_BEFORE_SLEEP: Duration = Duration::from_micros(50);

/// The next item, polling for up to `spin` (yielding the CPU between polls)
/// before waiting to be woken.
async fn recv_spinning(receiver: &mut mpsc::Receiver<Item>, spin: Duration) -> Option<Item> {
    if !spin.is_zero() {
        let deadline = std::time::Instant::now() + spin;
        loop {
            match receiver.try_recv() {
                Ok(item) => return Some(item),
                Err(mpsc::error::TryRecvError::Disconnected) => return None,
                Err(mpsc::error::TryRecvError::Empty) => {}
            }
            if std::time::Instant::now() >= deadline {
                break;
            }
            std::thread::yield_now();
        }
    }
    receiver.recv().await
}

//! A fixed number of job slots (`ferry serve --max-jobs`), handed out in the order the jobs
//! asked for them.
//!
//! A job asks for its slot when it is accepted ([`Slots::ask`], synchronous, so the order
//! is the order of acceptance, not of whichever task the runtime polls first) and waits
//! for it as `ACK`. A [`Slot`] dropped goes straight to the first job still waiting; a
//! waiter that gave up (its job was aborted while queued) is skipped.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

#[derive(Debug)]
struct State {
    free: usize,
    waiting: VecDeque<oneshot::Sender<Slot>>,
}

/// The slots of one server. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Slots {
    state: Arc<Mutex<State>>,
}

/// The right to run; given back when dropped.
#[derive(Debug)]
pub struct Slot {
    /// `None` only while a slot is being handed on (see `Drop`).
    state: Option<Arc<Mutex<State>>>,
}

/// A job's place: its slot, or its turn in the queue.
#[derive(Debug)]
pub enum Ticket {
    Ready(Slot),
    Waiting(oneshot::Receiver<Slot>),
}

impl Slots {
    /// `n` slots (at least one).
    pub fn new(n: usize) -> Self {
        Slots {
            state: Arc::new(Mutex::new(State {
                free: n.max(1),
                waiting: VecDeque::new(),
            })),
        }
    }

    fn lock(state: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
        state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A slot now if one is free and nobody waits, else a place at the end of the queue.
    pub fn ask(&self) -> Ticket {
        let mut state = Self::lock(&self.state);
        if state.free > 0 && state.waiting.is_empty() {
            state.free -= 1;
            return Ticket::Ready(Slot {
                state: Some(self.state.clone()),
            });
        }
        let (tx, rx) = oneshot::channel();
        state.waiting.push_back(tx);
        Ticket::Waiting(rx)
    }
}

impl Ticket {
    /// Waits for the slot. Never fails: a slot is only ever handed on or given back.
    pub async fn wait(self) -> Slot {
        match self {
            Ticket::Ready(slot) => slot,
            Ticket::Waiting(rx) => match rx.await {
                Ok(slot) => slot,
                // The sender went with the whole `Slots`: nothing left to share.
                Err(_) => Slot { state: None },
            },
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let Some(shared) = self.state.take() else {
            return;
        };
        let mut state = Slots::lock(&shared);
        while let Some(next) = state.waiting.pop_front() {
            let slot = Slot {
                state: Some(shared.clone()),
            };
            match next.send(slot) {
                Ok(()) => return,
                // That job was aborted while queued; its slot must not come back here.
                Err(mut unused) => unused.state = None,
            }
        }
        state.free += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The slot if the ticket holds one now.
    fn ready(ticket: &mut Ticket) -> Option<Slot> {
        let gone = Ticket::Waiting(oneshot::channel().1);
        match std::mem::replace(ticket, gone) {
            Ticket::Ready(slot) => Some(slot),
            Ticket::Waiting(mut rx) => {
                let slot = rx.try_recv().ok();
                *ticket = Ticket::Waiting(rx);
                slot
            }
        }
    }

    #[test]
    fn slots_go_to_the_waiters_in_order_and_skip_those_that_left() {
        let slots = Slots::new(2);
        let (mut a, mut b) = (slots.ask(), slots.ask());
        let (mut c, d, mut e) = (slots.ask(), slots.ask(), slots.ask());
        let (a, b) = (ready(&mut a).expect("a"), ready(&mut b).expect("b"));
        assert!(ready(&mut c).is_none() && ready(&mut e).is_none());
        drop(d); // aborted while queued
        drop(a);
        let c = ready(&mut c).expect("c gets a's slot");
        assert!(ready(&mut e).is_none());
        drop(b);
        let e = ready(&mut e).expect("e gets b's slot, d left");
        drop((c, e));
        let (mut f, mut g, mut h) = (slots.ask(), slots.ask(), slots.ask());
        let (f, g) = (ready(&mut f), ready(&mut g));
        assert!(f.is_some() && g.is_some(), "both slots are free again");
        assert!(ready(&mut h).is_none(), "two slots, no more");
    }
}

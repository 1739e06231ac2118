//! A computation that runs for the latest question only, one at a time: what lead scores, the sales
//! dashboard and everyone's relationship health use, each asked again on every change they read and
//! answered (from the worker's read model, or on the page) whenever the one before is done. A
//! question asked while one runs replaces any still waiting; an answer to a question asked before a
//! stop is dropped.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use leptos::prelude::*;

type Compute<Q, A> = Box<dyn Fn(Rc<Q>) -> Pin<Box<dyn Future<Output = A>>>>;

pub(crate) struct Latest<Q, A: Send + Sync + 'static> {
    next: RefCell<Option<Rc<Q>>>,
    /// The last thing asked, asked again by [`Latest::again`].
    last: RefCell<Option<Rc<Q>>>,
    /// Moves each time it stops: an answer to a question asked before is not wanted.
    stops: Cell<u64>,
    running: Cell<bool>,
    answer: RwSignal<A>,
    behind: RwSignal<bool>,
    compute: Compute<Q, A>,
}

impl<Q: 'static, A: Default + PartialEq + Send + Sync + 'static> Latest<Q, A> {
    /// Answers with `compute`; the answer is `A::default()` until the first one.
    pub fn new<F>(compute: impl Fn(Rc<Q>) -> F + 'static) -> Rc<Latest<Q, A>>
    where
        F: Future<Output = A> + 'static,
    {
        Rc::new(Latest {
            next: RefCell::default(),
            last: RefCell::default(),
            stops: Cell::new(0),
            running: Cell::new(false),
            answer: RwSignal::new(A::default()),
            behind: RwSignal::new(false),
            compute: Box::new(move |question| Box::pin(compute(question))),
        })
    }

    /// The latest answer.
    pub fn answer(&self) -> ReadSignal<A> {
        self.answer.read_only()
    }

    /// Set from a question until its answer (or a later one's) is in.
    pub fn behind(&self) -> ReadSignal<bool> {
        self.behind.read_only()
    }

    /// Asks `question`; `None` stops: nothing is asked again, and the answer is the default.
    pub fn ask(self: &Rc<Self>, question: Option<Q>) {
        let Some(question) = question.map(Rc::new) else {
            self.stops.set(self.stops.get() + 1);
            *self.next.borrow_mut() = None;
            *self.last.borrow_mut() = None;
            self.answer.try_set(A::default());
            self.behind.try_set(false);
            return;
        };
        *self.last.borrow_mut() = Some(question.clone());
        self.queue(question);
    }

    /// Asks the last question again (what it reads changed where no signal says so: the worker's
    /// read model took in more rows).
    pub fn again(self: &Rc<Self>) {
        let last = self.last.borrow().clone();
        if let Some(last) = last {
            self.queue(last);
        }
    }

    fn queue(self: &Rc<Self>, question: Rc<Q>) {
        *self.next.borrow_mut() = Some(question);
        self.behind.try_set(true);
        if self.running.replace(true) {
            return;
        }
        let this = self.clone();
        leptos::task::spawn_local(async move {
            loop {
                let Some(question) = this.next.borrow_mut().take() else { break };
                let stops = this.stops.get();
                let answer = (this.compute)(question).await;
                // The same answer again (a change it does not read) tells no screen; nor does one
                // to a screen since closed.
                let changed = this.answer.try_with_untracked(|old| *old != answer);
                if this.stops.get() == stops && changed == Some(true) {
                    this.answer.try_set(answer);
                }
            }
            this.running.set(false);
            this.behind.try_set(false);
        });
    }
}

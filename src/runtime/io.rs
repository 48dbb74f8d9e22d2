//! Blocking disk work off the tasks' threads: a small pool of OS threads (with the runtime's
//! workers the only threads Weir starts), each running one job at a time (an fsync, or a read
//! that may miss the page cache) and handing its result back to the task that awaits it. A
//! task waiting on the disk then holds up nothing but itself.
//!
//! In the simulator there are no threads: the job runs at once on the caller's task, and the
//! simulated disk makes its fsyncs and reads take simulated time itself (`DiskFile::sync_later`,
//! `DiskFile::read_later`).

use std::io;

/// I/O threads in the pool: fsyncs of different files (one per partition being flushed) run
/// side by side, and a disk queue deeper than this gains little.
pub const IO_THREADS: usize = 4;

/// Runs `job` on an I/O thread and returns its result; runs it at once where there are no
/// threads (the simulator) or none could be started.
pub async fn run<T, F>(job: F) -> io::Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> io::Result<T> + Send + 'static,
{
    #[cfg(madsim)]
    {
        job()
    }
    #[cfg(not(madsim))]
    {
        pool::run(job).await
    }
}

#[cfg(not(madsim))]
mod pool {
    use std::io;
    use std::sync::mpsc::{channel, Receiver, Sender};
    use std::sync::{Arc, Mutex, OnceLock};

    use super::IO_THREADS;

    type Job = Box<dyn FnOnce() + Send>;

    /// The pool's queue, started with the first job; `None` if no thread could be started.
    static QUEUE: OnceLock<Option<Mutex<Sender<Job>>>> = OnceLock::new();

    fn start() -> Option<Mutex<Sender<Job>>> {
        let (sender, receiver) = channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        let mut started = 0;
        for index in 0..IO_THREADS {
            let receiver = receiver.clone();
            let thread = std::thread::Builder::new()
                .name(format!("weir-io-{index}"))
                .spawn(move || work(&receiver));
            match thread {
                Ok(_) => started += 1,
                Err(error) => tracing::warn!(%error, "cannot start an I/O thread"),
            }
        }
        (started > 0).then(|| Mutex::new(sender))
    }

    /// One thread: jobs until the queue is gone.
    fn work(receiver: &Mutex<Receiver<Job>>) {
        loop {
            let job = match receiver.lock() {
                Ok(receiver) => receiver.recv(),
                Err(poisoned) => poisoned.into_inner().recv(),
            };
            match job {
                Ok(job) => job(),
                Err(_) => return,
            }
        }
    }

    pub async fn run<T, F>(job: F) -> io::Result<T>
    where
        T: Send + 'static,
        F: FnOnce() -> io::Result<T> + Send + 'static,
    {
        let Some(queue) = QUEUE.get_or_init(start) else {
            return job();
        };
        let (done, result) = tokio::sync::oneshot::channel();
        let boxed: Job = Box::new(move || {
            // The waiter may have gone (its request was dropped): the job still ran.
            let _ = done.send(job());
        });
        let sent = match queue.lock() {
            Ok(queue) => queue.send(boxed),
            Err(poisoned) => poisoned.into_inner().send(boxed),
        };
        if sent.is_err() {
            return Err(io::Error::other("the I/O threads have stopped"));
        }
        result
            .await
            .unwrap_or_else(|_| Err(io::Error::other("an I/O thread died running a job")))
    }
}

#[cfg(all(test, not(madsim)))]
mod tests {
    use super::*;

    #[test]
    fn jobs_run_off_the_task_and_hand_back_their_result() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(async {
            let caller = std::thread::current().id();
            let (ran_on, answer) = run(move || Ok((std::thread::current().id(), 42)))
                .await
                .unwrap();
            assert_ne!(ran_on, caller, "the job ran on the awaiting thread");
            assert_eq!(answer, 42);
            let error = run(|| Err::<(), _>(io::Error::other("EIO")))
                .await
                .unwrap_err();
            assert_eq!(error.to_string(), "EIO");
        });
    }
}

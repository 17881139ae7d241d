"""`flask --app app worker`: Huey's consumer, with a heartbeat the reaper and /healthz read."""

from __future__ import annotations

import logging
import threading

from flask import Flask

from app.jobs.queue import beat, queue_of, reap, register_worker

log = logging.getLogger(__name__)


def run_worker(app: Flask, threads: int) -> None:
    """Run jobs until SIGINT (finish the jobs running, then stop) or SIGTERM (stop now: the
    jobs cut short are taken back by the reaper and run again)."""
    queue = queue_of(app)
    with app.app_context():
        worker_id = register_worker()
        # At once, not at the next minute: what a worker killed before this start left running.
        reap()
    stop = threading.Event()
    interval = max(1.0, int(app.config["JOB_WORKER_TIMEOUT"]) / 4)

    def heartbeat() -> None:
        while not stop.wait(interval):
            try:
                with app.app_context():
                    beat(worker_id)
            except Exception:
                log.exception("worker heartbeat failed")

    threading.Thread(target=heartbeat, name="heartbeat", daemon=True).start()
    consumer = queue.huey.create_consumer(
        workers=threads, worker_type="thread", periodic=True, check_worker_health=True
    )
    log.info("worker %s started with %d threads", worker_id, threads)
    try:
        consumer.run()
    finally:
        stop.set()
        with app.app_context():
            beat(worker_id, stopped=True)
        log.info("worker %s stopped", worker_id)

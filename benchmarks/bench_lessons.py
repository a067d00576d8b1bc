"""How long each shipped lesson takes to land, headless, against its 30 s budget.

Each lesson is run through the session as the window runs it (questions answered rightly,
training in the child process), step by step; the table gives each lesson's wall time, its share
of the budget, and how many of its claims held.

    python benchmarks/bench_lessons.py [NAME ...]
"""

import sys
import time

from threadpoolctl import threadpool_limits

BUDGET_SECONDS = 30.0


def run(lesson):
    from explorer.lesson_runner import LessonRunner
    from explorer.session import Session
    session = Session()
    runner = LessonRunner(session, lesson)
    start = time.perf_counter()
    held = total = 0
    slowest = (0.0, 0)
    for index in range(runner.count):
        step_start = time.perf_counter()
        runner.go_to(index)
        runner.run_to_end_of_step(timeout=300)
        slowest = max(slowest, (time.perf_counter() - step_start, index + 1))
        total += len(runner.measurements)
        held += sum(1 for m in runner.measurements if m.holds is True)
    elapsed = time.perf_counter() - start
    runner.close()
    session.shutdown()
    return elapsed, slowest, held, total


def main(names):
    from explorer.lessons import shipped_lessons
    threadpool_limits(1)        # as in the window: one BLAS thread here, training on the other core
    lessons = [lesson for lesson in shipped_lessons() if not names or lesson.name in names]
    print(f"{'lesson':<22} {'steps':>5} {'wall s':>7} {'of 30 s':>8} {'slowest step':>13} {'claims':>7}")
    for lesson in lessons:
        elapsed, (step_s, step), held, total = run(lesson)
        print(f"{lesson.name:<22} {len(lesson.steps):>5} {elapsed:>7.1f} {elapsed / BUDGET_SECONDS:>8.2f} "
              f"{f'{step_s:.1f} s (#{step})':>13} {f'{held}/{total}':>7}")


if __name__ == "__main__":      # training runs in a spawned child process
    main(sys.argv[1:])

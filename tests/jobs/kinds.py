"""A kind of job for the tests: counts to ``params["to"]``, ``params["chunk"]`` at a time,
noting each number in ``params["bad"]`` as an error; ``params["fail_at"]`` raises there."""

from jobs.kinds import Chunk, JobKind, register


def count(job):
    start = (job.position or {}).get("next", 1)
    to, size = job.params["to"], job.params.get("chunk", 2)
    if job.params.get("fail_at") in range(start, start + size):
        raise RuntimeError("the counter broke")
    numbers = range(start, min(start + size, to + 1))
    errors = [f"{n}: not wanted" for n in numbers if n in job.params.get("bad", [])]
    last = numbers.stop > to
    return Chunk(
        {"next": numbers.stop},
        done=len(numbers),
        errors=errors,
        total=to,
        last=last,
        result={"counted": to} if last else None,
    )


COUNT = register(JobKind("test-count", "Counting", count))

"""The LTI jobs' lock: one job at a time per score row or line item, and a job whose lease ran
out never releases the lock another job has taken since."""

import pytest
from arq import Retry

from agora.lti import jobs


async def test_a_held_lock_sends_the_job_back_to_arq(redis):
    await redis.set("lti:passback:1:r:2", "another-job", ex=60)
    with pytest.raises(Retry):
        async with jobs.alone(redis, "lti:passback:1:r:2"):
            raise AssertionError("ran while another job held the lock")


async def test_the_lock_is_released_when_the_job_ends(redis):
    async with jobs.alone(redis, "lti:passback:1:r:2"):
        assert await redis.exists("lti:passback:1:r:2")
    assert not await redis.exists("lti:passback:1:r:2")
    async with jobs.alone(redis, "lti:passback:1:r:2"):
        pass


async def test_a_job_past_its_lease_leaves_the_next_holders_lock(redis):
    async with jobs.alone(redis, "lti:passback:1:r:2"):
        # The lease expired and another job took the lock while this one was still running.
        await redis.set("lti:passback:1:r:2", "another-job", ex=60)
    assert await redis.get("lti:passback:1:r:2") == b"another-job"

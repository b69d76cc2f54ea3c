"""Job files: several imports on named accounts, run in one process or by workers on arq.

`jobfile` parses and checks a job (pure), `runner` runs its steps in one process (one limiter
per account), `lock` keeps a job from running twice, `status` tells where a job stands,
`worker` runs steps from an arq queue on Redis with a lease per account.
"""

curl --user 'ci-bot:' -X POST http://ECHO/api/builds/trigger

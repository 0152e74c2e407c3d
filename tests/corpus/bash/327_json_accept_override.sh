curl --json '{"title":"Found a bug","labels":["bug"]}' -H 'Accept: application/vnd.github+json' -H 'X-GitHub-Api-Version: 2022-11-28' http://ECHO/repos/octo/hello/issues

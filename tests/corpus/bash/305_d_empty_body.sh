curl -d '' -H 'X-Requested-With: XMLHttpRequest' http://ECHO/api/jobs/42/retry

curl -v -i --fail --retry 3 --retry-delay 1 --connect-timeout 5 -m 10 --http1.1 -w '%{http_code}\n' --no-progress-meter --no-keepalive --no-buffer http://ECHO/api/health

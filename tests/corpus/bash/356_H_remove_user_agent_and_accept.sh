curl -H 'User-Agent:' -H 'Accept:' -H 'X-Probe: 1' http://ECHO/api/minimal

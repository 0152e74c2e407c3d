curl -k -L --max-redirs 3 --compressed http://ECHO/api/v1/health

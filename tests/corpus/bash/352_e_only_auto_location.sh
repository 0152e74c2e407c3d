curl -L --max-redirs 3 -e ';auto' http://ECHO/r/launch

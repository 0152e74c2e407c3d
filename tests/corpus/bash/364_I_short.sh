curl -I -H 'Cache-Control: no-cache' http://ECHO/releases/latest.tar.gz

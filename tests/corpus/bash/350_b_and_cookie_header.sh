curl -b 'tracking=1' -H 'Cookie: session=from-header' http://ECHO/account

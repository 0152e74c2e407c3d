curl --data-ascii @files/form.txt -H 'Accept: application/json' http://ECHO/oauth/token

curl --data-binary @files/crlf_form.txt -H 'Content-Type: application/x-www-form-urlencoded' http://ECHO/oauth/token

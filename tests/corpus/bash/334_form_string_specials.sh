curl --form-string 'handle=@jane' --form-string 'html=<b>bold</b>' --form-string 'note=x;type=text/html' -F 'plain=1' http://ECHO/api/profile

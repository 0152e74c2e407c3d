curl -G -d @files/form.txt http://ECHO/oauth/authorize

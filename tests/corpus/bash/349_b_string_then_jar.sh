curl -b 'theme=dark' -b files/cookie_jar.txt -b 'lang=en' http://ECHO/

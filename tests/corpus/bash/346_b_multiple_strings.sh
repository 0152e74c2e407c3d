curl -b 'session=abc' -b 'theme=dark; lang=de' -b consent=1 http://ECHO/dashboard

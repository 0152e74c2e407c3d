curl --data-urlencode 'q=a+b & c/d?e=f#g%h' --data-urlencode 'redirect_uri=https://app.example.com/cb?x=1&y=2' http://ECHO/oauth/authorize

# derived: ^%^C3 -> %C3 (the caret after % keeps cmd from expanding %...%), ^^ -> ^, ^| -> |, ^! -> !, ^& -> &.
curl 'http://ECHO/api/search?q=caf%C3%A9%20cr%C3%A8me&filter=rating|price&v=^2.0&tag=new!&sort=-date' \
  -H 'accept: application/json' \
  -H 'referer: https://shop.example.com/search?q=caf%C3%A9' \
  -H 'x-requested-with: XMLHttpRequest' \
  -H 'user-agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36'

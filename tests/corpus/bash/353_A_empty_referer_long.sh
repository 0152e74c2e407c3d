curl -A '' --referer 'https://www.google.com/search?q=curl+referer' http://ECHO/blog/post-1

curl -G -d 'page=2' -d 'per_page=50' 'http://ECHO/api/items?sort=created&dir=desc'

curl -g 'http://ECHO/api/items?filter[status]=open&fields={id,name}&page[size]=10'

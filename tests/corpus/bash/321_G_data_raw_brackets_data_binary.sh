curl --get --data-raw 'filter[name]=web&filter[state]=active' --data-binary 'limit=5' http://ECHO/v3/projects

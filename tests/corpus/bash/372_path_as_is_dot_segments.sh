curl --path-as-is 'http://ECHO/api/v1//files/./docs/../secret.txt?x=1'

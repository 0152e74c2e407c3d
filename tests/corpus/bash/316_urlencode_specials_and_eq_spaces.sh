curl --data-urlencode 'v=~*._-!()@:/?&=+ $,;[]#%' --data-urlencode '=  leading and trailing  ' http://ECHO/api/raw

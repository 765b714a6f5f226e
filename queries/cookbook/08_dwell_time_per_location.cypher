// name: dwell_time_per_location
// answers: Dwell time per location from EPCIS journeys: for each business location, how long items stayed there — from the first event that put an item there to the first event that put it somewhere else — as the number of stays, the mean, median and longest stay in hours. Retracted events are left out; at most `first` locations, longest mean stay first.
// param: first int  how many locations, e.g. 20
MATCH (i:ProductInstance)<-[:OBSERVED]-(e:EpcisEvent)-[:AT]->(loc:Location)
WHERE coalesce(e.retracted, false) = false
WITH i, loc, datetime(e.event_time) AS at
ORDER BY at
WITH i, collect({location: loc, at: at}) AS events
WITH reduce(visits = [], ev IN events |
       CASE WHEN size(visits) > 0 AND visits[-1].location = ev.location THEN visits
            ELSE visits + [ev] END) AS visits
UNWIND range(0, size(visits) - 2) AS n
WITH visits[n].location AS loc, duration.inSeconds(visits[n].at, visits[n + 1].at).seconds / 3600.0 AS hours
RETURN loc.id AS location, loc.name AS name, loc.kind AS kind, count(*) AS stays,
       round(avg(hours), 1) AS mean_hours, round(percentileCont(hours, 0.5), 1) AS median_hours,
       round(max(hours), 1) AS longest_hours
ORDER BY mean_hours DESC, location
LIMIT $first

// name: complaint_resolution_by_channel
// answers: How fast complaints are resolved, per channel and category: complaints, how many are still open and the oldest open one, and the mean and 90th-percentile hours from complaint to resolution.
MATCH (t:Touchpoint {kind: 'complaint'})
WITH t.channel AS channel, coalesce(t.category, 'uncategorised') AS category, t,
     CASE WHEN t.resolved_at IS NOT NULL
          THEN duration.inSeconds(datetime(t.occurred_at), datetime(t.resolved_at)).seconds / 3600.0
     END AS hours
RETURN channel, category, count(t) AS complaints,
       count(CASE WHEN t.resolution_status = 'open' THEN 1 END) AS open,
       min(CASE WHEN t.resolution_status = 'open' THEN t.occurred_at END) AS oldest_open,
       round(avg(hours), 1) AS mean_hours, round(percentileCont(hours, 0.9), 1) AS p90_hours
ORDER BY open DESC, complaints DESC, channel, category
